#include "app/Commands.h"
#include "core/store/WalletStore.h"
#include "ui/MainWindow.h"
#include "ui/TrayIcon.h"

#include <QApplication>
#include <QIcon>
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

    // The window comes first; the wallet unlocks behind it (keychain answers and Argon2id
    // arrive asynchronously) and any problem is shown in the window, not as a crash.
    store::KeychainSecretStore keychain;
    std::unique_ptr<store::WalletStore> wallet;
    store::UnlockRequest request;
    request.dataDir = dataDir;
    request.passphrase = std::move(passphrase.value());
    QTimer::singleShot(0, &window, [&] {
        store::openWallet(request, &keychain, SystemClock::instance(),
                          [&](Result<std::unique_ptr<store::WalletStore>> opened) {
                              if (!opened) {
                                  window.showWalletProblem(opened.error().message);
                                  return;
                              }
                              wallet = std::move(opened.value());
                              window.clearWalletProblem();
                          });
    });
    const int code = application.exec();
    wallet.reset();
    return code;
}

} // namespace l402::app
