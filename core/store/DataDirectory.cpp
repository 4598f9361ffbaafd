#include "core/store/DataDirectory.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace l402::store {
namespace {

Status unusable(const QString& message)
{
    return Status::failure(QLatin1String(directory_error::kUnusable), message);
}

bool writeAll(int fd, const QByteArray& content)
{
    qsizetype written = 0;
    while (written < content.size()) {
        const ssize_t n = ::write(fd, content.constData() + written,
                                  static_cast<size_t>(content.size() - written));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        written += n;
    }
    return true;
}

} // namespace

Status DataDirectory::prepare(const QString& path)
{
    const QByteArray native = QFile::encodeName(path);
    struct stat info = {};
    if (::stat(native.constData(), &info) != 0) {
        // Ours to create: private from the start.
        if (!QDir().mkpath(path) || ::chmod(native.constData(), 0700) != 0) {
            return unusable(QStringLiteral("Cannot create the data folder %1.").arg(path));
        }
        return success();
    }
    if (!S_ISDIR(info.st_mode)) {
        return unusable(QStringLiteral("The data folder %1 is not a folder.").arg(path));
    }
    if (info.st_uid != ::geteuid()) {
        return unusable(QStringLiteral("The data folder %1 belongs to another user.").arg(path));
    }
    // An existing folder is never chmod-ed behind the user's back (--data-dir ~ would lock
    // them out of their home); one others can read is refused with the fix spelled out.
    if ((info.st_mode & 0077) != 0) {
        return unusable(QStringLiteral("The data folder %1 can be read by other users; run "
                                       "'chmod 700 %1' or choose another --data-dir.")
                            .arg(path));
    }
    return success();
}

Result<std::unique_ptr<DataDirectory>> DataDirectory::acquire(const QString& path)
{
    using R = Result<std::unique_ptr<DataDirectory>>;
    if (auto prepared = prepare(path); !prepared) {
        return R(prepared.error());
    }
    const QByteArray lockPath = QFile::encodeName(path + QStringLiteral("/wallet.lock"));
    const int fd = ::open(lockPath.constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return R::failure(QLatin1String(directory_error::kUnusable),
                          QStringLiteral("Cannot open %1.").arg(QString::fromLocal8Bit(lockPath)));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = {};
        const ssize_t n = ::pread(fd, pid, sizeof pid - 1, 0);
        ::close(fd);
        const QString holder =
            n > 0 ? QStringLiteral(" (process %1)").arg(QString::fromLatin1(pid).trimmed())
                  : QString();
        return R::failure(QLatin1String(directory_error::kInUse),
                          QStringLiteral("Another l402-wallet%1 is already using the data folder "
                                         "%2. Stop it, or use a different --data-dir.")
                              .arg(holder, path));
    }
    const QByteArray pid = QByteArray::number(::getpid()) + '\n';
    if (::ftruncate(fd, 0) != 0 ||
        ::pwrite(fd, pid.constData(), static_cast<size_t>(pid.size()), 0) < 0) {
        // The pid is only a hint for the message above; the lock itself is what counts.
    }
    return std::unique_ptr<DataDirectory>(new DataDirectory(path, fd));
}

DataDirectory::~DataDirectory()
{
    ::flock(m_lockFd, LOCK_UN);
    ::close(m_lockFd);
}

Status DataDirectory::writeFileAtomically(const QString& path, const QByteArray& content)
{
    const QByteArray target = QFile::encodeName(path);
    const QByteArray temporary = target + ".tmp";
    const int fd = ::open(temporary.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return unusable(QStringLiteral("Cannot write %1.").arg(path));
    }
    const bool ok = ::fchmod(fd, 0600) == 0 && writeAll(fd, content) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(temporary.constData(), target.constData()) != 0) {
        ::unlink(temporary.constData());
        return unusable(QStringLiteral("Cannot write %1.").arg(path));
    }
    const QByteArray folder = QFile::encodeName(QFileInfo(path).absolutePath());
    const int directory = ::open(folder.constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (directory >= 0) {
        ::fsync(directory);
        ::close(directory);
    }
    return success();
}

} // namespace l402::store
