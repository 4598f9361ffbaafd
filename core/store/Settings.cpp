#include "core/store/Settings.h"

namespace l402::store {

Result<QString> readSetting(Database& database, const QString& key)
{
    auto statement = database.prepare("SELECT value FROM settings WHERE key = ?1");
    if (!statement) {
        return Result<QString>(statement.error());
    }
    statement->bind(1, key);
    auto row = statement->step();
    if (!row) {
        return Result<QString>(row.error());
    }
    return row.value() ? statement->text(0) : QString();
}

Status writeSetting(Database& database, const QString& key, const QString& value)
{
    auto statement =
        database.prepare("INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)");
    if (!statement) {
        return Status(statement.error());
    }
    statement->bind(1, key).bind(2, value);
    return statement->run();
}

} // namespace l402::store
