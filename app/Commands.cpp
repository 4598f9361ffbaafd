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

namespace {
thread_local OutputCapture* t_capture = nullptr;
}

OutputCapture::OutputCapture()
    : m_previous(t_capture)
{
    t_capture = this;
}

OutputCapture::~OutputCapture()
{
    t_capture = m_previous;
}

void writeOut(const QByteArray& bytes)
{
    if (t_capture) {
        t_capture->out += bytes;
        return;
    }
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stdout);
    std::fflush(stdout);
}

void writeErr(const QByteArray& bytes)
{
    if (t_capture) {
        t_capture->err += bytes;
        return;
    }
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stderr);
}

void printLine(const QString& text)
{
    writeOut(QByteArray(escapeForTerminal(text).toUtf8() + '\n'));
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
    writeOut(text);
}

int reportError(const GlobalOptions& options, const Error& error, int exitCode)
{
    const QByteArray line = QStringLiteral("l402-wallet: %1\n").arg(error.message).toUtf8();
    writeErr(line);
    if (options.json) {
        printJson(QJsonObject{
            {QStringLiteral("error"), QJsonObject{{QStringLiteral("code"), error.code},
                                                  {QStringLiteral("message"), error.message}}}});
    }
    return exitCode;
}

} // namespace l402::app
