#include "app/Commands.h"
#include "ui/MainWindow.h"
#include "ui/TrayIcon.h"

#include <QApplication>
#include <QDir>
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
    application.setWindowIcon(QIcon(QStringLiteral(":/icons/l402-wallet.svg")));

    const QString dataDir = resolveDataDir(options);
    if (!QDir().mkpath(dataDir)) {
        return reportError(options,
                           Error{QStringLiteral("data_dir"),
                                 QStringLiteral("Cannot create the data folder %1.").arg(dataDir)});
    }

    ui::MainWindow window(ui::MainWindow::Options{options.demo, dataDir});
    ui::TrayIcon tray(&window, options.demo);
    window.show();
    return application.exec();
}

} // namespace l402::app
