#include "app/Commands.h"
#include "app/DemoWorld.h"
#include "app/WalletRuntime.h"
#include "core/store/WalletStore.h"
#include "core/util/Logging.h"

#include <QCoreApplication>
#include <QSocketNotifier>

#include <csignal>
#include <optional>
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
    protectSecretsInMemory();

    const QString dataDir = resolveDataDir(options);
    auto passphrase = store::passphraseFromEnvironment(options.passphraseFile);
    if (!passphrase) {
        return reportError(options, passphrase.error());
    }

    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, gSignalPipe) != 0) {
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

    // Unlock before anything else runs: lock the data folder (one process at a time), get
    // the key from the keychain or the passphrase, open and migrate the database.
    store::UnlockRequest request;
    request.dataDir = dataDir;
    request.passphrase = std::move(passphrase.value());
    store::KeychainSecretStore keychain;
    std::unique_ptr<store::WalletStore> wallet;
    std::unique_ptr<WalletRuntime> runtime;
    std::unique_ptr<DemoWorld> demoWorld;
    std::optional<Error> unlockError;
    store::openWallet(
        request, &keychain, SystemClock::instance(),
        [&](Result<std::unique_ptr<store::WalletStore>> opened) {
            if (!opened) {
                unlockError = opened.error();
                application.exit(kExitError);
                return;
            }
            wallet = std::move(opened.value());
            const auto payments = wallet->ledger().count();
            log::info(
                QStringLiteral("serve: L402 Wallet %1 running headless, data in %2%3; %4 "
                               "payments in the ledger")
                    .arg(QLatin1String(L402_VERSION), dataDir,
                         options.demo ? QStringLiteral(" (demo: simulated funds)") : QString())
                    .arg(payments ? payments.value() : 0));
            if (options.demo) {
                demoWorld = std::make_unique<DemoWorld>();
                if (demoWorld->start()) {
                    log::info(
                        QStringLiteral("serve: demo paid API at %1 (simulated funds); try: %2")
                            .arg(demoWorld->url(QStringLiteral("/")).toString(),
                                 demoWorld->tryLine()));
                } else {
                    log::warning(QStringLiteral("serve: the demo paid API could not listen"));
                }
            }
            // Payments left unresolved by an earlier run are settled with the node first.
            auto created = WalletRuntime::create(*wallet, options.demo);
            if (!created) {
                log::warning(
                    QStringLiteral("serve: no payments possible: %1").arg(created.error().message));
                return;
            }
            runtime = std::move(created.value());
            runtime->engine->start();
        });
    const int code = unlockError ? kExitError : application.exec();
    runtime.reset();
    demoWorld.reset();
    wallet.reset();
    // Default handlers back before the pipe closes: a late signal must not write into a
    // closed (or reused) descriptor.
    action.sa_handler = SIG_DFL;
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    ::close(gSignalPipe[0]);
    ::close(gSignalPipe[1]);
    if (unlockError) {
        return reportError(options, *unlockError);
    }
    return code;
}

} // namespace l402::app
