#pragma once

#include <QString>

namespace l402::log {

// Levelled logging to stderr for the headless service and the CLI. Callers pass text that
// is already free of secrets: nothing here can know which bytes are secret, so values such
// as preimages, macaroons and keys are never formatted into a message in the first place.
enum class Level { Debug, Info, Warning, Error };

void setMinimumLevel(Level level);
void write(Level level, const QString& message);
inline void debug(const QString& message)
{
    write(Level::Debug, message);
}
inline void info(const QString& message)
{
    write(Level::Info, message);
}
inline void warning(const QString& message)
{
    write(Level::Warning, message);
}
inline void error(const QString& message)
{
    write(Level::Error, message);
}

} // namespace l402::log
