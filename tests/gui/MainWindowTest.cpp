#include "ui/MainWindow.h"
#include "ui/TrayIcon.h"

#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QGuiApplication>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QPushButton>
#include <QStackedWidget>
#include <QTest>

using l402::ui::MainWindow;

namespace {
// Where page screenshots go (the build tree under ctest), created on first use.
QString screenshotDirectory()
{
    const QString directory = qEnvironmentVariable(
        "L402_SCREENSHOT_DIR", QDir::tempPath() + QStringLiteral("/l402-screens"));
    QDir().mkpath(directory);
    return directory;
}
} // namespace

class MainWindowTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void titleAndPages()
    {
        MainWindow window({false, QStringLiteral("/tmp/data")});
        QCOMPARE(window.windowTitle(), QStringLiteral("L402 Wallet"));
        auto* navigation = window.findChild<QListWidget*>(QStringLiteral("navigation"));
        QVERIFY(navigation);
        const QStringList expected = {QStringLiteral("Activity"), QStringLiteral("Approvals"),
                                      QStringLiteral("Tokens"),   QStringLiteral("Budgets"),
                                      QStringLiteral("Agents"),   QStringLiteral("Node"),
                                      QStringLiteral("Settings")};
        QCOMPARE(navigation->count(), expected.size());
        for (int i = 0; i < navigation->count(); ++i) {
            QCOMPARE(navigation->item(i)->text(), expected.at(i));
        }
        QCOMPARE(window.currentPage(), MainWindow::Page::Activity);
        // Clicking a navigation entry shows its page.
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const QRect tokens = navigation->visualItemRect(navigation->item(2));
        QTest::mouseClick(navigation->viewport(), Qt::LeftButton, {}, tokens.center());
        QCOMPARE(window.currentPage(), MainWindow::Page::Tokens);
        QVERIFY(!window.findChild<QWidget*>(QStringLiteral("demoBanner")));
    }

    void demoBannerOnlyInDemo()
    {
        MainWindow window({true, QStringLiteral("/tmp/data/demo")});
        auto* banner = window.findChild<QWidget*>(QStringLiteral("demoBanner"));
        QVERIFY(banner);
        bool titled = false;
        for (const QLabel* label : banner->findChildren<QLabel*>()) {
            titled = titled || label->text().startsWith(QStringLiteral("Demo — simulated funds"));
        }
        QVERIFY(titled);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(banner->isVisible());
        // The line to try appears once the demo API and the proxy run, and copies whole.
        auto* line = window.findChild<QLabel*>(QStringLiteral("demoTryLine"));
        QVERIFY(line);
        QVERIFY(!line->isVisible());
        const QString curl =
            QStringLiteral("curl -H 'L402-Wallet-Agent: demo:s3cr3t' "
                           "http://127.0.0.1:8402/gw/http/127.0.0.1:8403/v1/quote");
        window.setDemoTryLine(curl);
        QVERIFY(line->isVisible());
        QCOMPARE(line->text(), curl);
        auto* copy = window.findChild<QPushButton*>(QStringLiteral("copyDemoLine"));
        QVERIFY(copy);
        copy->click();
        QCOMPARE(QGuiApplication::clipboard()->text(), curl);
        QVERIFY(window.grab().save(screenshotDirectory() + QStringLiteral("/demo-banner.png")));
    }

    void walletProblemBanner()
    {
        MainWindow window({false, QString()});
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto* banner = window.findChild<QLabel*>(QStringLiteral("walletProblem"));
        QVERIFY(banner);
        QVERIFY(!banner->isVisible());
        window.showWalletProblem(QStringLiteral("No keychain is available."));
        QVERIFY(banner->isVisible());
        QCOMPARE(banner->text(), QStringLiteral("The wallet is locked: No keychain is available."));
        QVERIFY(window.grab().save(screenshotDirectory() + QStringLiteral("/wallet-locked.png")));
        window.clearWalletProblem();
        QVERIFY(!banner->isVisible());
    }

    void trayShowsStateAndOpensApprovals()
    {
        MainWindow window({false, QString()});
        l402::ui::TrayIcon tray(&window, false);
        tray.setProxyState(true, 8402);
        tray.setSpentToday(QStringLiteral("1,021 sat"));
        tray.setPendingApprovals(2);
        QVERIFY(tray.toolTip().contains(QStringLiteral("Proxy on 127.0.0.1:8402")));
        QVERIFY(tray.toolTip().contains(QStringLiteral("Spent today: 1,021 sat")));
        QVERIFY(tray.toolTip().contains(QStringLiteral("2 payments waiting for approval")));
        QAction* pending = nullptr;
        for (QAction* action : tray.menu()->actions()) {
            if (action->text().contains(QStringLiteral("waiting for approval"))) {
                pending = action;
            }
        }
        QVERIFY(pending);
        QVERIFY(pending->isEnabled());
        pending->trigger();
        QCOMPARE(window.currentPage(), MainWindow::Page::Approvals);
        QVERIFY(window.isVisible());
        tray.setPendingApprovals(0);
        QVERIFY(!pending->isEnabled());
        QVERIFY(!tray.toolTip().contains(QStringLiteral("waiting")));
        tray.setProxyState(false, 0);
        QVERIFY(tray.toolTip().contains(QStringLiteral("Proxy not running")));
    }

    // Renders every page (demo mode) to PNG so people can look at what users will see.
    void renderEveryPage()
    {
        const QString directory = screenshotDirectory();
        QVERIFY(QDir(directory).exists());
        MainWindow window({true, QStringLiteral("/home/alice/.local/share/l402-wallet/demo")});
        window.resize(1040, 680);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const auto pages = {MainWindow::Page::Activity, MainWindow::Page::Approvals,
                            MainWindow::Page::Tokens,   MainWindow::Page::Budgets,
                            MainWindow::Page::Agents,   MainWindow::Page::Node,
                            MainWindow::Page::Settings};
        for (const MainWindow::Page page : pages) {
            window.showPage(page);
            QCOMPARE(window.currentPage(), page);
            const QImage image = window.grab().toImage();
            QVERIFY(!image.isNull());
            QCOMPARE(image.size(), window.size() * window.devicePixelRatio());
            const QString file = directory + QLatin1Char('/') +
                                 MainWindow::pageTitle(page).toLower() + QStringLiteral(".png");
            QVERIFY(image.save(file));
        }
    }
};

QTEST_MAIN(MainWindowTest)
#include "MainWindowTest.moc"
