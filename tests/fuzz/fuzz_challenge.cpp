// WWW-Authenticate parsing: arbitrary header values (split on NUL into several headers)
// never crash or hang, and the decode report over them never crashes either.
#include "core/protocol/Challenge.h"
#include "core/protocol/DecodeReport.h"

#include <QByteArray>
#include <QList>

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    const QList<QByteArray> headers = input.split('\0');
    (void)l402::protocol::parseChallenges(headers);
    (void)l402::protocol::decodeAnything(QString::fromUtf8(headers.first()));
    return 0;
}
