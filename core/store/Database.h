#pragma once

#include "core/util/Result.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <memory>
#include <optional>

struct sqlite3;
struct sqlite3_stmt;

namespace l402::store {

// Error codes of the store (Error::code).
namespace store_error {
inline constexpr auto kWrongKey = "wrong_key";         // key does not open the file
inline constexpr auto kNotEncrypted = "not_encrypted"; // a plaintext SQLite file
inline constexpr auto kCorrupt = "database_corrupt";
inline constexpr auto kIo = "database_io";
inline constexpr auto kBusy = "database_busy";
inline constexpr auto kConstraint = "constraint";
inline constexpr auto kSql = "database_error";
} // namespace store_error

class Database;

// A prepared statement. Binds are 1-based like SQLite's; columns 0-based. Owned by the caller
// and finalized on destruction.
class [[nodiscard]] Statement {
public:
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;
    ~Statement();

    Statement& bind(int index, int64_t value);
    Statement& bind(int index, const QString& value);
    Statement& bind(int index, QByteArrayView blob);
    Statement& bind(int index, std::nullopt_t);
    Statement& bindOptional(int index, const std::optional<int64_t>& value);

    // true: a row is available; false: done. Errors are returned, not thrown.
    Result<bool> step();
    // Runs to completion (for INSERT/UPDATE/DELETE).
    Status run();
    void reset();

    int64_t integer(int column) const;
    QString text(int column) const;
    QByteArray blob(int column) const;
    bool isNull(int column) const;

private:
    friend class Database;
    Statement(Database* database, sqlite3_stmt* statement);
    Database* m_database;
    sqlite3_stmt* m_statement;
};

// A thin RAII layer over the SQLCipher C API (Qt's SQL drivers cannot key SQLCipher). One
// connection, used from one thread at a time.
class Database {
public:
    struct Options {
        bool durableWal = true; // WAL with synchronous=FULL (every commit reaches the disk)
        // SQLCipher major version whose format the file has (0: this library's). SQLCipher 4
        // cannot read 3.x files unless told; Debian 12 ships 3.4, newer systems 4.x.
        int cipherCompatibility = 0;
    };

    // Opens (creating if absent) an encrypted database with a raw 256-bit key (no KDF: the
    // key is random or already derived). Verifies the key before anything is written, so a
    // wrong key or a damaged file is reported and the file is left exactly as it was.
    static Result<std::unique_ptr<Database>> open(const QString& path, QByteArrayView rawKey,
                                                  const Options& options);
    static Result<std::unique_ptr<Database>> open(const QString& path, QByteArrayView rawKey)
    {
        return open(path, rawKey, Options{});
    }
    ~Database();

    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    Result<Statement> prepare(const char* sql);
    Status exec(const char* sql);
    int64_t lastInsertId() const;
    int changes() const;

    Error lastError(const char* context) const;
    // The linked SQLCipher's major version (3 on Debian 12).
    static int sqlcipherMajorVersion();
    sqlite3* handle() const { return m_handle; }

private:
    Status checkIntegrityOnOpen(const QString& path);
    explicit Database(sqlite3* handle)
        : m_handle(handle)
    {
    }
    sqlite3* m_handle;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back when destroyed without commit(). IMMEDIATE takes the
// write lock up front, so a check-then-write inside cannot race another writer.
class [[nodiscard]] Transaction {
public:
    static Result<std::unique_ptr<Transaction>> begin(Database& database);
    ~Transaction();
    Status commit();

private:
    explicit Transaction(Database& database)
        : m_database(database)
    {
    }
    Database& m_database;
    bool m_done = false;
};

} // namespace l402::store
