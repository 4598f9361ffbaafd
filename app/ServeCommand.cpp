#include "app/Commands.h"
#include "app/OwnerPrompt.h"
#include "app/WalletHost.h"
#include "core/control/ControlCommands.h"
#include "core/store/WalletStore.h"
#include "core/util/Logging.h"

#include <QCoreApplication>
#include <QFile>
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
    proxy::ProxySettings proxySettings;
    proxySettings.port = kDefaultProxyPort;
    bool portExplicit = false;
    bool trustSameUser = false;
    for (qsizetype i = 0; i < options.arguments.size(); ++i) {
        const QString& argument = options.arguments.at(i);
        if (argument == QLatin1String("--listen") && i + 1 < options.arguments.size()) {
            // HOST:PORT, [IPV6]:PORT or :PORT (loopback, both families).
            const QString value = options.arguments.at(++i);
            const qsizetype colon = value.lastIndexOf(u':');
            bool portOk = false;
            const int port = value.mid(colon + 1).toInt(&portOk);
            QString host = colon >= 0 ? value.left(colon) : QString();
            if (host.startsWith(u'[') && host.endsWith(u']')) {
                host = host.mid(1, host.size() - 2);
            }
            const QHostAddress address(host);
            if (colon < 0 || !portOk || port < 0 || port > 65535 ||
                (!host.isEmpty() && address.isNull())) {
                return reportError(options,
                                   Error{QStringLiteral("usage"),
                                         QStringLiteral("--listen takes HOST:PORT with an IP "
                                                        "address, e.g. 127.0.0.1:8402.")},
                                   kExitUsage);
            }
            proxySettings.port = static_cast<quint16>(port);
            portExplicit = true;
            if (!host.isEmpty()) {
                proxySettings.addresses = {address};
            }
            continue;
        }
        if (argument == QLatin1String("--trust-same-user")) {
            trustSameUser = true;
            continue;
        }
        if (argument == QLatin1String("--bypass") && i + 1 < options.arguments.size()) {
            // HTTPS to these hosts (`host` or `*.domain`) is tunnelled blind, never read.
            proxySettings.bypassHosts.append(options.arguments.at(++i));
            continue;
        }
        if (argument == QLatin1String("--upstream-ca") && i + 1 < options.arguments.size()) {
            // Extra certificate authorities trusted for upstream HTTPS (a private API).
            QFile file(options.arguments.at(++i));
            const QByteArray pem =
                file.open(QIODevice::ReadOnly) ? file.read(4 * 1024 * 1024) : QByteArray();
            if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
                return reportError(options,
                                   Error{QStringLiteral("usage"),
                                         QStringLiteral("--upstream-ca takes a PEM file of CA "
                                                        "certificates; %1 is not one.")
                                             .arg(file.fileName())},
                                   kExitUsage);
            }
            proxySettings.upstreamTls.extraCaPem += pem + '\n';
            continue;
        }
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
    // the key from the keychain or the passphrase, open and migrate the database; then settle
    // unresolved payments and open the proxy.
    WalletHost::Options hostOptions;
    hostOptions.unlock.dataDir = dataDir;
    hostOptions.unlock.passphrase = std::move(passphrase.value());
    hostOptions.demo = options.demo;
    hostOptions.proxy = proxySettings;
    hostOptions.portExplicit = portExplicit;
    hostOptions.trustSameUser = trustSameUser;
    if (trustSameUser) {
        // Turning proof off is itself an owner command: the passphrase that unlocks proves
        // it; a keychain wallet asks the owner PIN here.
        const bool byPassphrase = hostOptions.unlock.passphrase.has_value();
        hostOptions.beforeServing = [byPassphrase](store::WalletStore& wallet) -> Status {
            if (byPassphrase) {
                return success();
            }
            return proveOwnerByPin(wallet, QStringLiteral("serve --trust-same-user"),
                                   control::describeEffect(QStringLiteral("serve"),
                                                           {QStringLiteral("--trust-same-user")}));
        };
        log::warning(QStringLiteral(
            "serve: --trust-same-user: owner commands (approve, budget, agent, node, resume) "
            "over the control socket need NO proof; every program of this Unix user, agents "
            "included, may run them. Use it only where no agent runs as this user."));
    }
    std::optional<Error> failure;
    {
        WalletHost host(std::move(hostOptions));
        QObject::connect(
            &host, &WalletHost::unlocked, &application, [&](const QString& dir, qint64 payments) {
                log::info(
                    QStringLiteral("serve: L402 Wallet %1 running headless, "
                                   "data in %2%3; %4 payments in the ledger")
                        .arg(QLatin1String(L402_VERSION), dir,
                             options.demo ? QStringLiteral(" (demo: simulated funds)") : QString())
                        .arg(payments));
            });
        QObject::connect(&host, &WalletHost::warning, &application, [](const QString& message) {
            log::warning(QStringLiteral("serve: ") + message);
        });
        QObject::connect(&host, &WalletHost::failed, &application,
                         [&](const QString& code, const QString& message) {
                             failure = Error{code, message};
                             application.exit(kExitError);
                         });
        QObject::connect(&host, &WalletHost::proxyListening, &application, [&](quint16 port) {
            log::info(QStringLiteral("serve: proxy listening on port %1 (%2)")
                          .arg(port)
                          .arg(proxySettings.addresses.size() == 2
                                   ? QStringLiteral("127.0.0.1 and ::1")
                                   : proxySettings.addresses.first().toString()));
        });
        QObject::connect(
            &host, &WalletHost::approvalNeeded, &application,
            [](const QString& id, const QString& summary) {
                log::info(QStringLiteral("serve: approval needed: %1 — %2").arg(id, summary));
            });
        QObject::connect(&host, &WalletHost::demoReady, &application,
                         [](const QString& api, const QString& line) {
                             log::info(QStringLiteral("serve: demo paid API at %1 (simulated "
                                                      "funds); try:\n  %2")
                                           .arg(api, line));
                         });
        host.start();
        if (!failure) {
            application.exec();
        }
    }
    const int code = failure ? kExitError : kExitOk;
    // Default handlers back before the pipe closes: a late signal must not write into a
    // closed (or reused) descriptor.
    action.sa_handler = SIG_DFL;
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    ::close(gSignalPipe[0]);
    ::close(gSignalPipe[1]);
    if (failure) {
        return reportError(options, *failure);
    }
    return code;
}

} // namespace l402::app
