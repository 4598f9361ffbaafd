#include "core/util/Logging.h"

#include <QDateTime>

#include <atomic>
#include <cstdio>
#include <mutex>

namespace l402::log {
namespace {
std::atomic<Level> gMinimum{Level::Info};
std::mutex gMutex;

const char* levelName(Level level)
{
    switch (level) {
    case Level::Debug:
        return "debug";
    case Level::Info:
        return "info";
    case Level::Warning:
        return "warning";
    case Level::Error:
        return "error";
    }
    return "?";
}
} // namespace

void setMinimumLevel(Level level)
{
    gMinimum = level;
}

void write(Level level, const QString& message)
{
    if (level < gMinimum.load()) {
        return;
    }
    const QByteArray line = QStringLiteral("%1 %2 %3\n")
                                .arg(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs),
                                     QLatin1String(levelName(level)), message)
                                .toUtf8();
    const std::lock_guard lock(gMutex);
    std::fwrite(line.constData(), 1, static_cast<size_t>(line.size()), stderr);
    std::fflush(stderr);
}

} // namespace l402::log
