#include "app/Commands.h"
#include "app/GuiSession.h"
#include "ui/FirstRunDialog.h"
#include "ui/MainWindow.h"
#include "ui/TrayIcon.h"

#include <QApplication>
#include <QIcon>

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

    // The window comes first; the wallet unlocks behind it on a thread of its own and any
    // problem is shown in the window, not as a crash.
    WalletHost::Options hostOptions;
    hostOptions.unlock.dataDir = dataDir;
    hostOptions.demo = options.demo;
    hostOptions.proxy.port = kDefaultProxyPort;
    GuiSession session(window, &tray, std::move(hostOptions));

    std::optional<crypto::SecureBytes> unlockWith = std::move(passphrase.value());
    // A new wallet (not the demo, which sets itself up): storage, node and first agent.
    if (!options.demo && !unlockWith && ui::FirstRunDialog::needed(dataDir)) {
        ui::FirstRunDialog firstRun(&window);
        if (firstRun.exec() != QDialog::Accepted) {
            return kExitOk;
        }
        const ui::FirstRunDialog::Choices choices = firstRun.choices();
        if (!choices.useKeychain) {
            unlockWith = crypto::SecureBytes(choices.passphrase);
        }
        GuiSession::FirstRun setup;
        setup.nodeArguments =
            choices.demo ? QStringList{QStringLiteral("demo")} : choices.nodeArguments;
        setup.agentName = choices.agentName;
        session.setFirstRun(setup);
    }
    session.start(std::move(unlockWith));
    return application.exec();
}

} // namespace l402::app
