#pragma once

#include "core/store/Database.h"
#include "core/util/Result.h"

#include <QString>

namespace l402::store {

// The wallet's key/value settings (the `settings` table; encrypted with the rest of the
// database). An absent key reads as an empty string.
Result<QString> readSetting(Database& database, const QString& key);
Status writeSetting(Database& database, const QString& key, const QString& value);

} // namespace l402::store
