#pragma once

#include "core/util/Result.h"

#include <QString>

#include <memory>

namespace l402::store {

namespace directory_error {
inline constexpr auto kInUse = "wallet_in_use";
inline constexpr auto kUnusable = "data_dir_unusable";
} // namespace directory_error

// The wallet's data folder: created 0700, files 0600, and held by one process at a time
// through an advisory lock (flock) on `wallet.lock`, released by the kernel when the process
// dies, so a crash never leaves the wallet locked.
class DataDirectory {
public:
    static Result<std::unique_ptr<DataDirectory>> acquire(const QString& path);
    ~DataDirectory();

    const QString& path() const { return m_path; }
    QString databasePath() const { return databasePath(m_path); }
    static QString databasePath(const QString& dataDir)
    {
        return dataDir + QStringLiteral("/wallet.db");
    }

    // Writes a small file so that readers see the old or the new content, never a mix:
    // a 0600 temporary file, fsync, rename over the target, fsync of the folder.
    static Status writeFileAtomically(const QString& path, const QByteArray& content);
    // Creates the folder (0700) if needed and tightens its mode.
    static Status prepare(const QString& path);

private:
    DataDirectory(QString path, int lockFd)
        : m_path(std::move(path))
        , m_lockFd(lockFd)
    {
    }
    QString m_path;
    int m_lockFd;
};

} // namespace l402::store
