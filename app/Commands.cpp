#include "app/Commands.h"

#include "core/util/TerminalText.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>
#include <sys/prctl.h>
#include <sys/resource.h>

namespace l402::app {

void protectSecretsInMemory()
{
    const struct rlimit none = {0, 0};
    ::setrlimit(RLIMIT_CORE, &none);
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

void printLine(const QString& text)
{
    const QByteArray bytes = escapeForTerminal(text).toUtf8() + '\n';
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stdout);
}

Error usage(const QString& message)
{
    return Error{QStringLiteral("usage"), message};
}

void printJson(const QJsonValue& value)
{
    const QByteArray text = value.isObject()  ? QJsonDocument(value.toObject()).toJson()
                            : value.isArray() ? QJsonDocument(value.toArray()).toJson()
                                              : QJsonDocument(QJsonArray{value}).toJson();
    std::fwrite(text.constData(), 1, static_cast<size_t>(text.size()), stdout);
    std::fflush(stdout);
}

int reportError(const GlobalOptions& options, const Error& error, int exitCode)
{
    const QByteArray line = QStringLiteral("l402-wallet: %1\n").arg(error.message).toUtf8();
    std::fwrite(line.constData(), 1, static_cast<size_t>(line.size()), stderr);
    if (options.json) {
        printJson(QJsonObject{
            {QStringLiteral("error"), QJsonObject{{QStringLiteral("code"), error.code},
                                                  {QStringLiteral("message"), error.message}}}});
    }
    return exitCode;
}

} // namespace l402::app
