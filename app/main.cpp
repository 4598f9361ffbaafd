// l402-wallet: the composition root. It picks GUI or headless before any QCoreApplication
// exists (a QApplication needs a display; CLI commands must run without one).
#include "app/CommandLine.h"
#include "app/Commands.h"

#include <QStringList>

#include <cstdio>

namespace {

// CLI and headless commands speak to people and scripts through one line on stderr; Qt's own
// diagnostics (TLS backend loading, D-Bus noise) are not for them. They are kept with
// L402_WALLET_DEBUG=1.
void quietQtMessages(QtMsgType type, const QMessageLogContext&, const QString& message)
{
    if (type == QtFatalMsg || qEnvironmentVariableIsSet("L402_WALLET_DEBUG")) {
        std::fprintf(stderr, "qt: %s\n", qPrintable(message));
    }
}

} // namespace

int main(int argc, char** argv)
{
    using namespace l402::app;
    QStringList arguments;
    for (int i = 0; i < argc; ++i) {
        arguments.append(QString::fromLocal8Bit(argv[i]));
    }
    const auto parsed = parseGlobalOptions(arguments);
    if (const auto* error = std::get_if<ParseError>(&parsed)) {
        std::fprintf(stderr, "l402-wallet: %s\n", qPrintable(error->message));
        return kExitUsage;
    }
    const GlobalOptions& options = std::get<GlobalOptions>(parsed);
    if (options.version) {
        std::printf("l402-wallet %s\n", L402_VERSION);
        return kExitOk;
    }
    if (options.help || options.command == QLatin1String("help")) {
        std::fputs(qPrintable(usageText()), stdout);
        return kExitOk;
    }
    if (options.command != QLatin1String("gui")) {
        qInstallMessageHandler(quietQtMessages);
    }
    if (options.command == QLatin1String("decode")) {
        return runDecode(options);
    }
    if (options.command == QLatin1String("node")) {
        return runNode(options);
    }
    if (options.command == QLatin1String("fetch")) {
        return runFetch(options);
    }
    if (options.command == QLatin1String("mcp")) {
        return runMcp(options);
    }
    if (options.command == QLatin1String("history") || options.command == QLatin1String("tokens") ||
        options.command == QLatin1String("budget") || options.command == QLatin1String("agent") ||
        options.command == QLatin1String("env") || options.command == QLatin1String("ca") ||
        options.command == QLatin1String("approvals") ||
        options.command == QLatin1String("approve") || options.command == QLatin1String("deny") ||
        options.command == QLatin1String("pause") || options.command == QLatin1String("resume")) {
        return runDataCommand(options);
    }
    if (options.command == QLatin1String("owner-pin")) {
        return runOwnerPin(options);
    }
    if (options.command == QLatin1String("run")) {
        return runAgentSandbox(options);
    }
    if (options.command == QLatin1String("serve")) {
        return runServe(options);
    }
    if (options.command == QLatin1String("gui")) {
#ifdef L402_WITH_GUI
        return runGui(argc, argv, options);
#else
        return reportError(options, l402::Error{QStringLiteral("no_gui"),
                                                QStringLiteral("This build has no GUI; use "
                                                               "'l402-wallet serve'.")});
#endif
    }
    return reportError(options,
                       l402::Error{QStringLiteral("usage"),
                                   QStringLiteral("Unknown command '%1'. See 'l402-wallet "
                                                  "--help'.")
                                       .arg(options.command)},
                       kExitUsage);
}
