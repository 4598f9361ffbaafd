#include "app/Commands.h"
#include "core/util/Logging.h"

#include <QCoreApplication>
#include <QDir>
#include <QSocketNotifier>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

namespace l402::app {
namespace {

int gSignalPipe[2] = {-1, -1};

void onTerminationSignal(int)
{
    const char byte = 1;
    // write() is async-signal-safe; the event loop reads the pipe and quits cleanly.
    [[maybe_unused]] const ssize_t written = ::write(gSignalPipe[1], &byte, 1);
}

} // namespace

int runServe(const GlobalOptions& options)
{
    for (const QString& argument : options.arguments) {
        return reportError(
            options,
            Error{QStringLiteral("usage"),
                  QStringLiteral("serve does not know the option %1.").arg(argument)},
            kExitUsage);
    }
    int argc = 1;
    char name[] = "l402-wallet";
    char* argv[] = {name, nullptr};
    QCoreApplication application(argc, argv);

    const QString dataDir = resolveDataDir(options);
    if (!QDir().mkpath(dataDir)) {
        return reportError(options,
                           Error{QStringLiteral("data_dir"),
                                 QStringLiteral("Cannot create the data folder %1.").arg(dataDir)});
    }
    QFile::setPermissions(dataDir,
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);

    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, gSignalPipe) != 0) {
        return reportError(options, Error{QStringLiteral("internal"),
                                          QStringLiteral("Cannot set up signal handling.")});
    }
    QSocketNotifier notifier(gSignalPipe[0], QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, &application, [&] {
        char byte = 0;
        [[maybe_unused]] const ssize_t got = ::read(gSignalPipe[0], &byte, 1);
        log::info(QStringLiteral("serve: stopping on signal"));
        application.quit();
    });
    struct sigaction action = {};
    action.sa_handler = onTerminationSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);

    log::info(QStringLiteral("serve: L402 Wallet %1 running headless, data in %2%3")
                  .arg(QLatin1String(L402_VERSION), dataDir,
                       options.demo ? QStringLiteral(" (demo: simulated funds)") : QString()));
    const int code = application.exec();
    ::close(gSignalPipe[0]);
    ::close(gSignalPipe[1]);
    return code;
}

} // namespace l402::app
