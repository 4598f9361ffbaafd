#include "core/store/Database.h"

#include <QFile>
#include <QFileInfo>

#include "core/crypto/SecureBytes.h"

#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace l402::store {
namespace {

const char* codeFor(int sqliteCode)
{
    switch (sqliteCode & 0xff) {
    case SQLITE_NOTADB:
        return store_error::kWrongKey;
    case SQLITE_CORRUPT:
        return store_error::kCorrupt;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
        return store_error::kIo;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return store_error::kBusy;
    case SQLITE_CONSTRAINT:
        return store_error::kConstraint;
    default:
        return store_error::kSql;
    }
}

QByteArray keyPragmaValue(QByteArrayView rawKey)
{
    // SQLCipher's raw-key syntax: x'<64 hex>' uses the bytes as the key, skipping PBKDF2.
    static constexpr char kHex[] = "0123456789abcdef";
    QByteArray out;
    out.reserve(rawKey.size() * 2 + 3);
    out.append("x'");
    for (const char byte : rawKey) {
        out.append(kHex[(static_cast<uint8_t>(byte) >> 4) & 0xf]);
        out.append(kHex[static_cast<uint8_t>(byte) & 0xf]);
    }
    out.append('\'');
    return out;
}

} // namespace

Statement::Statement(Database* database, sqlite3_stmt* statement)
    : m_database(database)
    , m_statement(statement)
{
}

Statement::Statement(Statement&& other) noexcept
    : m_database(other.m_database)
    , m_statement(std::exchange(other.m_statement, nullptr))
{
}

Statement::~Statement()
{
    if (m_statement) {
        sqlite3_finalize(m_statement);
    }
}

Statement& Statement::bind(int index, int64_t value)
{
    sqlite3_bind_int64(m_statement, index, value);
    return *this;
}

Statement& Statement::bind(int index, const QString& value)
{
    const QByteArray utf8 = value.toUtf8();
    sqlite3_bind_text(m_statement, index, utf8.constData(), static_cast<int>(utf8.size()),
                      SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind(int index, QByteArrayView blob)
{
    sqlite3_bind_blob(m_statement, index, blob.data(), static_cast<int>(blob.size()),
                      SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind(int index, std::nullopt_t)
{
    sqlite3_bind_null(m_statement, index);
    return *this;
}

Statement& Statement::bindOptional(int index, const std::optional<int64_t>& value)
{
    return value ? bind(index, *value) : bind(index, std::nullopt);
}

Result<bool> Statement::step()
{
    const int code = sqlite3_step(m_statement);
    if (code == SQLITE_ROW) {
        return true;
    }
    if (code == SQLITE_DONE) {
        return false;
    }
    return Result<bool>(m_database->lastError("step"));
}

Status Statement::run()
{
    for (;;) {
        auto row = step();
        if (!row) {
            return Status(row.error());
        }
        if (!row.value()) {
            return success();
        }
    }
}

void Statement::reset()
{
    sqlite3_reset(m_statement);
    sqlite3_clear_bindings(m_statement);
}

int64_t Statement::integer(int column) const
{
    return sqlite3_column_int64(m_statement, column);
}

QString Statement::text(int column) const
{
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(m_statement, column));
    return QString::fromUtf8(data, sqlite3_column_bytes(m_statement, column));
}

QByteArray Statement::blob(int column) const
{
    const auto* data = static_cast<const char*>(sqlite3_column_blob(m_statement, column));
    return QByteArray(data, sqlite3_column_bytes(m_statement, column));
}

bool Statement::isNull(int column) const
{
    return sqlite3_column_type(m_statement, column) == SQLITE_NULL;
}

Result<std::unique_ptr<Database>> Database::open(const QString& path, QByteArrayView rawKey,
                                                 const Options& options)
{
    using R = Result<std::unique_ptr<Database>>;
    if (rawKey.size() != 32) {
        return R::failure(QLatin1String(store_error::kWrongKey),
                          QStringLiteral("The database key must be 32 bytes."));
    }
    const QByteArray nativePath = QFile::encodeName(path);
    {
        // Refuse a plaintext SQLite file: it would mean secrets were stored unencrypted.
        QFile existing(path);
        if (existing.exists() && existing.open(QIODevice::ReadOnly) &&
            existing.read(16) == QByteArrayLiteral("SQLite format 3\0")) {
            return R::failure(QLatin1String(store_error::kNotEncrypted),
                              QStringLiteral("The wallet database is not encrypted; refusing "
                                             "to use it."));
        }
    }
    // Create the file ourselves first so it is 0600 from its first byte; SQLite gives the
    // -wal and -shm files the same mode.
    const int fd = ::open(nativePath.constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::fchmod(fd, 0600); // an existing file copied in with looser permissions
    }
    if (fd < 0) {
        return R::failure(QLatin1String(store_error::kIo),
                          QStringLiteral("Cannot open the wallet database %1.").arg(path));
    }
    ::close(fd);

    sqlite3* handle = nullptr;
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(nativePath.constData(), &handle, flags, nullptr) != SQLITE_OK) {
        const QString message = QString::fromUtf8(sqlite3_errmsg(handle));
        sqlite3_close(handle);
        return R::failure(QLatin1String(store_error::kIo),
                          QStringLiteral("Cannot open the wallet database: %1").arg(message));
    }
    std::unique_ptr<Database> database(new Database(handle));
    QByteArray keyText = keyPragmaValue(rawKey);
    const int keyed = sqlite3_key(handle, keyText.constData(), static_cast<int>(keyText.size()));
    crypto::scrub(keyText);
    if (keyed != SQLITE_OK) {
        return R(database->lastError("key"));
    }
    if (options.cipherCompatibility > 0 && options.cipherCompatibility < sqlcipherMajorVersion()) {
        const QByteArray pragma =
            "PRAGMA cipher_compatibility = " + QByteArray::number(options.cipherCompatibility);
        if (auto compatible = database->exec(pragma.constData()); !compatible) {
            return R(compatible.error());
        }
    }
    sqlite3_busy_timeout(handle, 5000);
    // The first read proves the key (SQLCipher checks the page HMAC); nothing is written
    // before it succeeds.
    if (auto check = database->exec("SELECT count(*) FROM sqlite_master"); !check) {
        Error error = check.error();
        if (error.code == QLatin1String(store_error::kWrongKey)) {
            error.message = QStringLiteral("The wallet database cannot be decrypted with this "
                                           "key, or it is damaged.");
        }
        return R(error);
    }
    if (auto intact = database->checkIntegrityOnOpen(path); !intact) {
        return R(intact.error());
    }
    const char* durability = options.durableWal
                                 ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                 : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
    if (auto pragmas = database->exec(durability); !pragmas) {
        return R(pragmas.error());
    }
    if (auto pragmas = database->exec("PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;");
        !pragmas) {
        return R(pragmas.error());
    }
    return R(std::move(database));
}

Database::~Database()
{
    sqlite3_close_v2(m_handle);
}

int Database::sqlcipherMajorVersion()
{
    static const int major = [] {
        sqlite3* handle = nullptr;
        int version = 0;
        if (sqlite3_open(":memory:", &handle) == SQLITE_OK) {
            sqlite3_stmt* statement = nullptr;
            if (sqlite3_prepare_v2(handle, "PRAGMA cipher_version", -1, &statement, nullptr) ==
                    SQLITE_OK &&
                sqlite3_step(statement) == SQLITE_ROW) {
                version =
                    QByteArray(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)))
                        .split('.')
                        .value(0)
                        .toInt();
            }
            sqlite3_finalize(statement);
        }
        sqlite3_close(handle);
        return version;
    }();
    return major;
}

Status Database::checkIntegrityOnOpen(const QString& path)
{
    const auto damaged = [] {
        return Status::failure(QLatin1String(store_error::kCorrupt),
                               QStringLiteral("The wallet database is damaged."));
    };
    auto pragmaValue = [this](const char* sql) -> std::optional<int64_t> {
        auto statement = prepare(sql);
        if (!statement) {
            return std::nullopt;
        }
        auto row = statement->step();
        return row && row.value() ? std::optional(statement->integer(0)) : std::nullopt;
    };
    const auto pages = pragmaValue("PRAGMA page_count");
    const auto pageSize = pragmaValue("PRAGMA page_size");
    if (!pages || !pageSize) {
        return damaged();
    }
    // Truncation: with no write-ahead log to supply missing pages, the file must hold every
    // page its header counts. Cheap, so it runs whatever the size.
    const qint64 fileSize = QFileInfo(path).size();
    const QFileInfo wal(path + QStringLiteral("-wal"));
    if ((!wal.exists() || wal.size() == 0) && fileSize < *pages * *pageSize) {
        return damaged();
    }
    // A full page-by-page check reads (so decrypts and authenticates) the whole file, about
    // 0.1 s per 20 MB here. Above kFullCheckLimit that would delay every start, so it is
    // skipped; SQLCipher still authenticates each page as it is read and reports damage on
    // the operation that meets it.
    constexpr qint64 kFullCheckLimit = 64LL * 1024 * 1024;
    if (fileSize <= kFullCheckLimit) {
        auto check = prepare("PRAGMA quick_check");
        if (!check) {
            return damaged();
        }
        auto row = check->step();
        if (!row || !row.value() || check->text(0) != QLatin1String("ok")) {
            return damaged();
        }
    }
    return success();
}

Result<Statement> Database::prepare(const char* sql)
{
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(m_handle, sql, -1, &statement, nullptr) != SQLITE_OK) {
        sqlite3_finalize(statement);
        return Result<Statement>(lastError("prepare"));
    }
    return Statement(this, statement);
}

Status Database::exec(const char* sql)
{
    char* message = nullptr;
    if (sqlite3_exec(m_handle, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        sqlite3_free(message);
        return Status(lastError("exec"));
    }
    return success();
}

int64_t Database::lastInsertId() const
{
    return sqlite3_last_insert_rowid(m_handle);
}

int Database::changes() const
{
    return sqlite3_changes(m_handle);
}

Error Database::lastError(const char* context) const
{
    const int code = sqlite3_extended_errcode(m_handle);
    return Error{QLatin1String(codeFor(code)),
                 QStringLiteral("Wallet database error (%1): %2")
                     .arg(QLatin1String(context), QString::fromUtf8(sqlite3_errmsg(m_handle)))};
}

Result<std::unique_ptr<Transaction>> Transaction::begin(Database& database)
{
    if (auto begun = database.exec("BEGIN IMMEDIATE"); !begun) {
        return Result<std::unique_ptr<Transaction>>(begun.error());
    }
    return std::unique_ptr<Transaction>(new Transaction(database));
}

Transaction::~Transaction()
{
    if (!m_done) {
        (void)m_database.exec("ROLLBACK");
    }
}

Status Transaction::commit()
{
    auto committed = m_database.exec("COMMIT");
    m_done = committed.ok();
    return committed;
}

} // namespace l402::store
