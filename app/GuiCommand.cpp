#include "app/Commands.h"
#include "app/WalletHost.h"
#include "core/store/WalletStore.h"
#include "ui/MainWindow.h"
#include "ui/TrayIcon.h"

#include <QApplication>
#include <QIcon>
#include <QThread>
#include <QTimer>

namespace l402::app {

int runGui(int& argc, char** argv, const GlobalOptions& options)
{
    for (const QString& argument : options.arguments) {
        return reportError(options,
                           Error{QStringLiteral("usage"),
                                 QStringLiteral("gui does not know the option %1.").arg(argument)},
                           kExitUsage);
    }
    QApplication::setApplicationName(QStringLiteral("l402-wallet"));
    QApplication::setApplicationDisplayName(QStringLiteral("L402 Wallet"));
    QApplication::setApplicationVersion(QLatin1String(L402_VERSION));
    QApplication::setOrganizationDomain(QStringLiteral("l402wallet.example"));
    QApplication::setDesktopFileName(QStringLiteral("example.l402wallet.L402Wallet"));
    QApplication application(argc, argv);
    protectSecretsInMemory();
    application.setWindowIcon(QIcon(QStringLiteral(":/icons/l402-wallet.svg")));

    const QString dataDir = resolveDataDir(options);
    auto passphrase = store::passphraseFromEnvironment(options.passphraseFile);
    if (!passphrase) {
        return reportError(options, passphrase.error());
    }

    ui::MainWindow window(ui::MainWindow::Options{options.demo, dataDir});
    ui::TrayIcon tray(&window, options.demo);
    window.show();

    // The window comes first; the wallet unlocks behind it on a thread of its own (keychain
    // answers and Argon2id arrive asynchronously, the database is never touched by the GUI
    // thread) and any problem is shown in the window, not as a crash.
    WalletHost::Options hostOptions;
    hostOptions.unlock.dataDir = dataDir;
    hostOptions.unlock.passphrase = std::move(passphrase.value());
    hostOptions.demo = options.demo;
    hostOptions.proxy.port = kDefaultProxyPort;
    QThread walletThread;
    walletThread.setObjectName(QStringLiteral("l402-wallet"));
    auto* host = new WalletHost(std::move(hostOptions));
    host->moveToThread(&walletThread);
    QObject::connect(&walletThread, &QThread::finished, host, &QObject::deleteLater);
    QObject::connect(host, &WalletHost::unlocked, &window,
                     [&window] { window.clearWalletProblem(); });
    QObject::connect(
        host, &WalletHost::failed, &window,
        [&window](const QString&, const QString& message) { window.showWalletProblem(message); });
    QObject::connect(
        host, &WalletHost::demoReady, &window,
        [&window](const QString&, const QString& line) { window.setDemoTryLine(line); });
    walletThread.start();
    QMetaObject::invokeMethod(host, &WalletHost::start, Qt::QueuedConnection);
    const int code = application.exec();
    walletThread.quit();
    walletThread.wait();
    return code;
}

} // namespace l402::app
