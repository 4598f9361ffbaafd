#include "ui/MainWindow.h"
#include "ui/ApprovalPrompt.h"
#include "ui/FirstRunDialog.h"
#include "ui/TrayIcon.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDateTime>
#include <QDir>
#include <QGuiApplication>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QPushButton>
#include <QRadioButton>
#include <QStackedWidget>
#include <QTemporaryDir>
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

    // A new wallet: storage, node, first agent. Each step refuses what cannot work.
    void firstRunCollectsTheChoices()
    {
        QTemporaryDir dir;
        QVERIFY(l402::ui::FirstRunDialog::needed(dir.path()));
        l402::ui::FirstRunDialog wizard;
        wizard.show();
        QCOMPARE(wizard.currentId(), int(l402::ui::FirstRunDialog::StoragePage));
        wizard.findChild<QRadioButton*>(QStringLiteral("storagePassphrase"))->click();
        auto* passphrase = wizard.findChild<QLineEdit*>(QStringLiteral("passphrase"));
        auto* confirm = wizard.findChild<QLineEdit*>(QStringLiteral("confirmPassphrase"));
        passphrase->setText(QStringLiteral("short"));
        confirm->setText(QStringLiteral("short"));
        wizard.next();
        QCOMPARE(wizard.currentId(), int(l402::ui::FirstRunDialog::StoragePage)); // too short
        passphrase->setText(QStringLiteral("correct horse battery"));
        confirm->setText(QStringLiteral("correct horse battery!"));
        wizard.next();
        QCOMPARE(wizard.currentId(), int(l402::ui::FirstRunDialog::StoragePage)); // differ
        confirm->setText(QStringLiteral("correct horse battery"));
        wizard.next();
        QCOMPARE(wizard.currentId(), int(l402::ui::FirstRunDialog::NodePage));

        wizard.findChild<QRadioButton*>(QStringLiteral("nodeConnect"))->click();
        auto* uri = wizard.findChild<QLineEdit*>(QStringLiteral("nodeUri"));
        uri->setText(QStringLiteral("lndconnect://nowhere"));
        wizard.next();
        QCOMPARE(wizard.currentId(), int(l402::ui::FirstRunDialog::NodePage)); // not a node
        const QString
            nwc = // The wallet key: the x coordinate of secp256k1's generator, a valid point.
            QStringLiteral("nostr+walletconnect://79be667ef9dcbbac55a06295ce870b07"
                           "029bfcdb2dce28d959f2815b16f81798") +
            QStringLiteral("?relay=wss%3A%2F%2Frelay.example.com&secret=") + QString(64, u'7');
        uri->setText(nwc);
        wizard.next();
        QVERIFY2(wizard.currentId() == int(l402::ui::FirstRunDialog::AgentPage),
                 qPrintable(wizard.findChild<QLabel*>(QStringLiteral("nodeError"))->text()));

        auto* agent = wizard.findChild<QLineEdit*>(QStringLiteral("agentName"));
        agent->setText(QStringLiteral("has space"));
        QVERIFY(!wizard.validateCurrentPage());
        agent->setText(QStringLiteral("claude"));
        QVERIFY(wizard.validateCurrentPage());
        const auto choices = wizard.choices();
        QVERIFY(!choices.useKeychain);
        QCOMPARE(choices.passphrase, QByteArrayLiteral("correct horse battery"));
        QVERIFY(!choices.demo);
        QCOMPARE(choices.nodeArguments, (QStringList{QStringLiteral("--uri"), nwc}));
        QCOMPARE(choices.agentName, QStringLiteral("claude"));
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
    // What the engine asks with a price spike (PaymentEngineTest::priceSpikeIsAskedOrRefused
    // shows the engine writing it): the spike with both prices first, then the rules.
    void promptShowsTheSpikeAndTheRules()
    {
        MainWindow window({false, QStringLiteral("/home/alice/.local/share/l402-wallet")});
        l402::ui::ApprovalPrompt* prompt = window.approvalPrompt();
        l402::policy::ApprovalRequest request;
        request.id = QStringLiteral("a1b2c3d4");
        request.origin = QStringLiteral("https://api.example.com");
        request.agent = QStringLiteral("claude");
        request.amountMsat = 181'000;
        request.description = QStringLiteral("cheap (181 sat)");
        request.budgetImpact = QStringLiteral("191 of 5,000 sat today");
        request.notes = {QStringLiteral("Price spike: https://api.example.com asks 181 sat now; it "
                                        "was paid 18 sat last time (more than 10x).")};
        request.heldTo = {QStringLiteral("\"api.example.com\": auto, 191 of 5,000 sat today"),
                          QStringLiteral("\"*\" (agent claude): ask, 191 of 1,000 sat today")};
        request.createdAt = QDateTime::currentDateTimeUtc();
        request.expiresAt = request.createdAt.addSecs(60);
        prompt->enqueue(request);
        QVERIFY(prompt->isVisible());
        auto* notes = prompt->findChild<QLabel*>(QStringLiteral("approvalNotes"));
        QVERIFY(notes->isVisible());
        QVERIFY(notes->text().startsWith(QStringLiteral("Price spike: ")));
        QVERIFY(notes->text().contains(QStringLiteral("18 sat last time")));
        const QString heldTo = prompt->findChild<QLabel*>(QStringLiteral("approvalHeldTo"))->text();
        QVERIFY(heldTo.contains(QStringLiteral("(agent claude): ask")));
        QCOMPARE(heldTo.count(u'\n'), 1);
        prompt->adjustSize();
        QVERIFY(prompt->grab().save(screenshotDirectory() + QStringLiteral("/prompt-spike.png")));
    }

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
