#include "app/Commands.h"
#include "core/protocol/DecodeReport.h"

#include <QTextStream>

#include <cstdio>

namespace l402::app {

int runDecode(const GlobalOptions& options)
{
    QStringList inputs;
    for (const QString& argument : options.arguments) {
        if (argument.startsWith(QLatin1String("--"))) {
            return reportError(
                options,
                Error{QStringLiteral("usage"), QStringLiteral("decode does not know the option "
                                                              "%1.")
                                                   .arg(argument)},
                kExitUsage);
        }
        inputs.append(argument);
    }
    if (inputs.isEmpty()) {
        return reportError(options,
                           Error{QStringLiteral("usage"),
                                 QStringLiteral("decode needs an invoice, a macaroon or a "
                                                "challenge header value.")},
                           kExitUsage);
    }
    // A challenge header value arrives as several shell words when unquoted.
    const QString input = inputs.join(QLatin1Char(' '));
    auto decoded = protocol::decodeAnything(input);
    if (!decoded) {
        return reportError(options, decoded.error());
    }
    if (options.json) {
        printJson(decoded->second);
    } else {
        const QByteArray text =
            protocol::describeForHumans(decoded->first, decoded->second).toUtf8();
        std::fwrite(text.constData(), 1, static_cast<size_t>(text.size()), stdout);
    }
    return kExitOk;
}

} // namespace l402::app
