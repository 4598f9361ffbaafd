// The window on a real wallet (offscreen): the same GuiSession and WalletHost the binary runs,
// the demo node and demo paid API, the real proxy, and curl as the agent. Approving in the
// prompt lets the agent's request through and pays; deny and timeout reach the agent as
// denied_by_user / approval_timeout; remember "always" writes a rule; budget edits persist
// across a restart; a new agent's secret is shown once; the node form validates and tests a
// connection against the LND double. Every item model runs under QAbstractItemModelTester the
// whole time, and every page is rendered to PNG with the data the run produced.

#include "app/GuiSession.h"
#include "core/service/WalletService.h"
#include "tests/support/FakeLnd.h"
#include "tests/support/HistorySeed.h"
#include "tests/support/ProcessRunner.h"
#include "tests/support/StoreFixtures.h"
#include "ui/ActivityModel.h"
#include "ui/ActivityPage.h"
#include "ui/AgentsPage.h"
#include "ui/ApprovalPrompt.h"
#include "ui/ApprovalsPage.h"
#include "ui/BudgetsPage.h"
#include "ui/MainWindow.h"
#include "ui/NodePage.h"
#include "ui/OwnerConfirmDialog.h"
#include "ui/RuleEditor.h"
#include "ui/TokensModel.h"
#include "ui/TokensPage.h"
#include "ui/TrayIcon.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QComboBox>
#include <QDialog>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace l402;

namespace {

QString screenshotDirectory()
{
    const QString directory = qEnvironmentVariable(
        "L402_SCREENSHOT_DIR", QDir::tempPath() + QStringLiteral("/l402-screens"));
    QDir().mkpath(directory);
    return directory;
}

// Runs `work` on the wallet's thread and returns its result (test code only: the window
// itself never waits for the wallet).
template <typename Work> auto onWallet(service::WalletService* wallet, Work work)
{
    using R = decltype(work(*wallet));
    std::optional<R> out;
    QMetaObject::invokeMethod(
        wallet, [&] { out.emplace(work(*wallet)); }, Qt::BlockingQueuedConnection);
    return std::move(*out);
}

} // namespace

class WalletGuiTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void approvingInThePromptPays();
    void denyingGivesDeniedByUser();
    void noAnswerGivesApprovalTimeout();
    void severalRequestsQueueVisibly();
    void rememberAlwaysCreatesARule();
    void csvExportHasEveryRowExactly();
    void budgetEditsPersist();
    void agentSecretIsShownOnce();
    void nodeFormValidatesAndTestsTheConnection();
    void tokensShowTheirCaveats();
    void lockedWalletCanBeAnsweredAfterUnlock();
    void everyPageRendersToPng();
    void trayPauseStopsPaymentsAndShowsIt();
    void ownerCommandsAreConfirmedInTheWindow();

private:
    bool startWallet();
    // Every item model is checked on every change for as long as its window lives.
    void attachModelTesters();
    void stopWallet();
    // Starts curl through the gateway as the demo agent; the caller waits for it.
    void startAgentRequest(QProcess& curl, const QString& path);
    QByteArray finish(QProcess& curl);
    bool waitForPrompt(int queued);
    // Lets every request the window sent to the wallet, and every answer, arrive.
    void drain();
    // An owner command from another process, as an agent's shell would send it.
    void startOwnerCommand(QProcess& cli, const QStringList& arguments);
    QByteArray readCommand(const QStringList& arguments);

    QTemporaryDir m_dir;
    std::unique_ptr<ui::MainWindow> m_window;
    std::unique_ptr<app::GuiSession> m_session;
    QPointer<service::WalletService> m_service;
    QString m_agentHeader; // L402-Wallet-Agent: demo:<secret>
    QString m_gatewayBase; // http://127.0.0.1:<port>/gw/http/127.0.0.1:<api port>
    QList<std::shared_ptr<QAbstractItemModelTester>> m_testers;
};

bool WalletGuiTest::startWallet()
{
    m_window = std::make_unique<ui::MainWindow>(
        ui::MainWindow::Options{true, m_dir.path() + QStringLiteral("/wallet")});
    app::WalletHost::Options options;
    options.unlock.dataDir = m_dir.path() + QStringLiteral("/wallet");
    options.unlock.newWalletKdf = test::fastKdf();
    options.demo = true;
    options.proxy.port = 0;
    options.proxy.addresses = {QHostAddress(QHostAddress::LocalHost)};
    options.portExplicit = true;
    options.ownerConfirmTimeout = std::chrono::seconds(4);
    m_session = std::make_unique<app::GuiSession>(*m_window, nullptr, std::move(options));
    connect(m_session.get(), &app::GuiSession::serviceReady, this,
            [this](service::WalletService* wallet) { m_service = wallet; });
    m_session->start(crypto::SecureBytes(QByteArrayLiteral("gui test passphrase")));
    m_window->resize(1280, 860);
    m_window->show();
    if (!QTest::qWaitFor([this] { return !m_window->demoTryLine().isEmpty() && m_service; },
                         60'000)) {
        return false;
    }
    const QRegularExpressionMatch line =
        QRegularExpression(QStringLiteral("curl -H '([^']+)' (http://\\S+)/v1/quote"))
            .match(m_window->demoTryLine());
    m_agentHeader = line.captured(1);
    m_gatewayBase = line.captured(2);
    attachModelTesters();
    return line.hasMatch();
}

void WalletGuiTest::attachModelTesters()
{
    // Every item model is checked on every change for the whole run.
    for (QAbstractItemModel* model :
         {static_cast<QAbstractItemModel*>(m_window->activityPage()->model()),
          static_cast<QAbstractItemModel*>(m_window->approvalsPage()->model()),
          static_cast<QAbstractItemModel*>(
              m_window->tokensPage()
                  ->findChild<QAbstractItemView*>(QStringLiteral("tokensView"))
                  ->model()),
          static_cast<QAbstractItemModel*>(
              m_window->agentsPage()
                  ->findChild<QAbstractItemView*>(QStringLiteral("agentsView"))
                  ->model())}) {
        m_testers.append(std::make_shared<QAbstractItemModelTester>(
            model, QAbstractItemModelTester::FailureReportingMode::QtTest));
    }
}

void WalletGuiTest::stopWallet()
{
    m_testers.clear();
    m_session.reset();
    m_window.reset();
    m_service.clear();
}

void WalletGuiTest::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(startWallet());
    // Payments to the demo API ask first.
    policy::BudgetRule rule;
    rule.pattern = QStringLiteral("127.0.0.1");
    rule.mode = policy::Mode::Ask;
    rule.dailyMsat = 2'000'000;
    QVERIFY(onWallet(m_service.data(),
                     [rule](service::WalletService& wallet) { return wallet.saveRule(rule); }));
}

void WalletGuiTest::cleanupTestCase()
{
    stopWallet();
}

void WalletGuiTest::startAgentRequest(QProcess& curl, const QString& path)
{
    QProcessEnvironment clean = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY"}) {
        clean.remove(QString::fromLatin1(name));
    }
    curl.setProcessEnvironment(clean);
    curl.start(QStringLiteral("curl"), {QStringLiteral("-sS"), QStringLiteral("-i"),
                                        QStringLiteral("-H"), m_agentHeader, m_gatewayBase + path});
}

QByteArray WalletGuiTest::finish(QProcess& curl)
{
    if (!QTest::qWaitFor([&] { return curl.state() == QProcess::NotRunning; }, 30'000)) {
        curl.kill();
        curl.waitForFinished();
    }
    return curl.readAllStandardOutput();
}

bool WalletGuiTest::waitForPrompt(int queued)
{
    ui::ApprovalPrompt* prompt = m_window->approvalPrompt();
    return QTest::qWaitFor([&] { return prompt->isVisible() && prompt->queued() == queued; },
                           20'000);
}

void WalletGuiTest::drain()
{
    for (int round = 0; round < 4; ++round) {
        (void)onWallet(m_service.data(), [](service::WalletService&) { return 0; });
        QCoreApplication::sendPostedEvents();
        QCoreApplication::processEvents();
    }
}

void WalletGuiTest::approvingInThePromptPays()
{
    QProcess curl;
    startAgentRequest(curl, QStringLiteral("/v1/quote"));
    QVERIFY(waitForPrompt(1));
    ui::ApprovalPrompt* prompt = m_window->approvalPrompt();
    // What the person sees before paying.
    QCOMPARE(prompt->findChild<QLabel*>(QStringLiteral("approvalAmount"))->text(),
             QStringLiteral("21 sat"));
    QVERIFY(prompt->findChild<QLabel*>(QStringLiteral("approvalSite"))
                ->text()
                .startsWith(QStringLiteral("http://127.0.0.1:")));
    QCOMPARE(prompt->findChild<QLabel*>(QStringLiteral("approvalAgent"))->text(),
             QStringLiteral("demo"));
    QVERIFY(!prompt->findChild<QLabel*>(QStringLiteral("approvalDescription"))->text().isEmpty());
    QVERIFY2(prompt->findChild<QLabel*>(QStringLiteral("approvalImpact"))
                 ->text()
                 .contains(QStringLiteral("of 2,000 sat today")),
             qPrintable(prompt->findChild<QLabel*>(QStringLiteral("approvalImpact"))->text()));
    // Every rule it is held to, with this payment counted.
    const QString heldTo = prompt->findChild<QLabel*>(QStringLiteral("approvalHeldTo"))->text();
    // (the amount plus its fee reserve counts until the payment settles)
    QVERIFY2(heldTo.contains(QStringLiteral("\"127.0.0.1\": ask, 31 of 2,000 sat today")),
             qPrintable(heldTo));
    QVERIFY2(heldTo.contains(QStringLiteral("\"*\": auto")), qPrintable(heldTo));
    QVERIFY(prompt->findChild<QLabel*>(QStringLiteral("approvalCountdownText"))
                ->text()
                .contains(QStringLiteral(" s")));
    // Enter does not pay: Deny is the default button.
    QVERIFY(prompt->findChild<QPushButton*>(QStringLiteral("approvalDeny"))->isDefault());
    // Approve arms itself a moment after the request appears (no double-click approvals).
    auto* approve = prompt->findChild<QPushButton*>(QStringLiteral("approvalApprove"));
    QVERIFY(!approve->isEnabled());
    QVERIFY(QTest::qWaitFor([&] { return approve->isEnabled(); }, 5'000));
    QTest::mouseClick(approve, Qt::LeftButton);
    const QByteArray answer = finish(curl);
    QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.constData());
    QVERIFY(answer.contains("L402-Wallet-Payment: amount_msat=21000"));
    QVERIFY(!prompt->isVisible());
    // The Activity table shows the payment (after its debounce), newest first.
    ui::ActivityModel* activity = m_window->activityPage()->model();
    QVERIFY(QTest::qWaitFor(
        [&] {
            if (activity->rowCount() == 0) {
                return false;
            }
            (void)activity->data(activity->index(0, 0)); // asks for the first page
            const auto first = activity->rowAt(0);
            return first && first->kind == QLatin1String("paid") && first->amountMsat == 21'000;
        },
        10'000));
}

void WalletGuiTest::denyingGivesDeniedByUser()
{
    QProcess curl;
    startAgentRequest(curl, QStringLiteral("/v1/joke"));
    QVERIFY(waitForPrompt(1));
    QTest::mouseClick(
        m_window->approvalPrompt()->findChild<QPushButton*>(QStringLiteral("approvalDeny")),
        Qt::LeftButton);
    const QByteArray answer = finish(curl);
    QVERIFY2(answer.startsWith("HTTP/1.1 402"), answer.constData());
    QVERIFY(answer.contains("L402-Wallet-Error: denied_by_user"));
}

void WalletGuiTest::noAnswerGivesApprovalTimeout()
{
    (void)onWallet(m_service.data(), [](service::WalletService& wallet) {
        wallet.broker().setTimeout(std::chrono::seconds(2));
        return 0;
    });
    QProcess curl;
    startAgentRequest(curl, QStringLiteral("/v1/joke"));
    QVERIFY(waitForPrompt(1));
    // Nobody touches it: the wallet denies at zero and the prompt goes away.
    const QByteArray answer = finish(curl);
    QVERIFY2(answer.contains("L402-Wallet-Error: approval_timeout"), answer.constData());
    QVERIFY(QTest::qWaitFor([&] { return !m_window->approvalPrompt()->isVisible(); }, 5'000));
    (void)onWallet(m_service.data(), [](service::WalletService& wallet) {
        wallet.broker().setTimeout(std::chrono::seconds(60));
        return 0;
    });
}

void WalletGuiTest::severalRequestsQueueVisibly()
{
    QProcess first;
    QProcess second;
    startAgentRequest(first, QStringLiteral("/v1/joke"));
    QVERIFY(waitForPrompt(1));
    startAgentRequest(second, QStringLiteral("/v1/weather"));
    QVERIFY(waitForPrompt(2));
    ui::ApprovalPrompt* prompt = m_window->approvalPrompt();
    QCOMPARE(prompt->findChild<QLabel*>(QStringLiteral("approvalPosition"))->text(),
             QStringLiteral("1 of 2 waiting"));
    QCOMPARE(m_window->approvalsPage()->model()->rowCount(), 2);
    // Touching the prompt pauses the countdown.
    QTest::mouseClick(prompt->findChild<QComboBox*>(QStringLiteral("approvalRemember")),
                      Qt::LeftButton);
    QVERIFY(prompt->isPaused());
    QVERIFY(prompt->findChild<QLabel*>(QStringLiteral("approvalCountdownText"))
                ->text()
                .startsWith(QStringLiteral("Paused")));
    // ...and the wallet's own timer, which is what denies at zero.
    const QString firstId = prompt->currentId();
    QVERIFY(QTest::qWaitFor(
        [&] {
            return onWallet(m_service.data(), [firstId](service::WalletService& wallet) {
                return wallet.broker().isPaused(firstId);
            });
        },
        5'000));
    // The second request's timer runs on.
    const QString secondId = m_window->approvalsPage()->model()->at(1)->id;
    QVERIFY(!onWallet(m_service.data(), [secondId](service::WalletService& wallet) {
        return wallet.broker().isPaused(secondId);
    }));
    if (QWidget* popup = QApplication::activePopupWidget()) {
        popup->close();
    }
    QVERIFY(prompt->isVisible());
    // A double click on Approve meant for the first request does not approve the second.
    prompt->answer(false);
    QVERIFY(!prompt->findChild<QPushButton*>(QStringLiteral("approvalApprove"))->isEnabled());
    QTest::mouseDClick(prompt->findChild<QPushButton*>(QStringLiteral("approvalApprove")),
                       Qt::LeftButton);
    QCOMPARE(prompt->queued(), 1);
    QCOMPARE(prompt->queued(), 1);
    QCOMPARE(prompt->findChild<QLabel*>(QStringLiteral("approvalAmount"))->text(),
             QStringLiteral("100 sat"));
    prompt->answer(false);
    QVERIFY(finish(first).contains("denied_by_user"));
    QVERIFY(finish(second).contains("denied_by_user"));
    QVERIFY(QTest::qWaitFor([&] { return m_window->approvalsPage()->model()->rowCount() == 0; },
                            5'000));
}

void WalletGuiTest::rememberAlwaysCreatesARule()
{
    const int before = int(
        onWallet(m_service.data(), [](service::WalletService& wallet) { return wallet.rules(); })
            .value()
            .size());
    QProcess curl;
    startAgentRequest(curl, QStringLiteral("/v1/joke"));
    QVERIFY(waitForPrompt(1));
    m_window->approvalPrompt()->setRemember(policy::Remember::Always);
    auto* approve =
        m_window->approvalPrompt()->findChild<QPushButton*>(QStringLiteral("approvalApprove"));
    QVERIFY(QTest::qWaitFor([&] { return approve->isEnabled(); }, 5'000));
    QTest::mouseClick(approve, Qt::LeftButton);
    QVERIFY(finish(curl).startsWith("HTTP/1.1 200"));
    const auto rules =
        onWallet(m_service.data(), [](service::WalletService& wallet) { return wallet.rules(); });
    QVERIFY(rules);
    QCOMPARE(rules->size(), before + 1);
    bool found = false;
    for (const service::RuleView& view : rules.value()) {
        // Pay without asking up to this amount, for this site and agent (above it: ask).
        found = found || (view.rule.mode == policy::Mode::Ask && view.rule.askAboveMsat == 5'000 &&
                          view.rule.pattern.startsWith(QStringLiteral("127.0.0.1:")) &&
                          view.rule.agent == QLatin1String("demo"));
    }
    QVERIFY(found);
    // The same agent's next payment of that size there no longer asks (the token it bought is
    // deleted first, so the next request pays again).
    const auto tokens =
        onWallet(m_service.data(), [](service::WalletService& wallet) { return wallet.tokens(); });
    for (const service::TokenView& token : tokens.value()) {
        if (token.token.services.contains(QStringLiteral("jokes"))) {
            QVERIFY(onWallet(m_service.data(), [id = token.token.id](service::WalletService& w) {
                return w.removeToken(id);
            }));
        }
    }
    QProcess again;
    startAgentRequest(again, QStringLiteral("/v1/joke"));
    const QByteArray paid = finish(again);
    QVERIFY2(paid.startsWith("HTTP/1.1 200"), paid.constData());
    QVERIFY(!m_window->approvalPrompt()->isVisible());
}

void WalletGuiTest::csvExportHasEveryRowExactly()
{
    ui::ActivityPage* page = m_window->activityPage();
    page->refresh();
    const qint64 rows = onWallet(m_service.data(), [](service::WalletService& wallet) {
                            return wallet.activityCount({});
                        }).value();
    QVERIFY(rows >= 5);
    const QString path = m_dir.path() + QStringLiteral("/activity.csv");
    QSignalSpy exported(page, &ui::ActivityPage::exported);
    page->exportTo(path);
    QVERIFY(exported.wait(10'000));
    QCOMPARE(exported.first().at(0).toLongLong(), rows);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = file.readAll().split('\n');
    QCOMPARE(lines.first(),
             QByteArray("time,site,agent,status,amount_sat,fee_sat,code,reason,payment_id\r"));
    QCOMPARE(lines.size(), rows + 2); // the header, the rows, and nothing after the last CRLF
    // The first payment of the run, in exact sats (msat after the point), oldest first.
    // A reason with a comma is quoted (RFC 4180).
    bool paid = false;
    bool quoted = false;
    for (const QByteArray& line : lines) {
        paid = paid || line.contains(",demo,paid,21.000,0.000,,Paid 21 sat (fee 0 sat).,");
        quoted = quoted || line.contains(",approval_timeout,\"Nobody approved");
    }
    QVERIFY2(paid && quoted, lines.join('\n').constData());
}

void WalletGuiTest::budgetEditsPersist()
{
    ui::BudgetsPage* page = m_window->budgetsPage();
    m_window->showPage(ui::MainWindow::Page::Budgets);
    auto* newRule = page->findChild<QPushButton*>(QStringLiteral("newRule"));
    QVERIFY(QTest::qWaitFor([&] { return newRule->isEnabled(); }, 5'000)); // rules loaded
    QTest::mouseClick(newRule, Qt::LeftButton);
    ui::RuleEditor* editor = nullptr;
    QVERIFY(QTest::qWaitFor(
        [&] {
            editor = page->findChild<ui::RuleEditor*>();
            if (!editor) {
                editor = m_window->findChild<ui::RuleEditor*>();
            }
            return editor && editor->isVisible();
        },
        5'000));
    editor->findChild<QLineEdit*>(QStringLiteral("rulePattern"))
        ->setText(QStringLiteral("*.example.com"));
    auto* mode = editor->findChild<QComboBox*>(QStringLiteral("ruleMode"));
    mode->setCurrentIndex(
        mode->findData(QStringLiteral("auto")) >= 0 ? mode->findData(QStringLiteral("auto")) : 0);
    auto* daily = editor->findChild<QWidget*>(QStringLiteral("ruleDaily"));
    QVERIFY(daily);
    if (auto* spin = qobject_cast<QSpinBox*>(daily)) {
        spin->setValue(1500);
    } else if (auto* line = qobject_cast<QLineEdit*>(daily)) {
        line->setText(QStringLiteral("1500"));
    }
    QVERIFY2(editor->rule().dailyMsat == 1'500'000, "the editor reads the daily limit in sats");
    editor->accept();
    const auto saved = [this] {
        const auto rules = onWallet(m_service.data(),
                                    [](service::WalletService& wallet) { return wallet.rules(); });
        for (const service::RuleView& view : rules ? rules.value() : QList<service::RuleView>{}) {
            if (view.rule.pattern == QLatin1String("*.example.com")) {
                return view.rule.dailyMsat == 1'500'000;
            }
        }
        return false;
    };
    QVERIFY(QTest::qWaitFor(saved, 5'000));
    // A restart reads it back from the encrypted database.
    stopWallet();
    QVERIFY(startWallet());
    QVERIFY(saved());
}

void WalletGuiTest::agentSecretIsShownOnce()
{
    ui::AgentsPage* page = m_window->agentsPage();
    m_window->showPage(ui::MainWindow::Page::Agents);
    QTest::mouseClick(page->findChild<QPushButton*>(QStringLiteral("newAgent")), Qt::LeftButton);
    QDialog* ask = nullptr;
    QVERIFY(QTest::qWaitFor(
        [&] {
            ask = m_window->findChild<QDialog*>(QStringLiteral("newAgentDialog"));
            return ask && ask->isVisible();
        },
        5'000));
    ask->findChild<QLineEdit*>(QStringLiteral("newAgentName"))
        ->setText(QStringLiteral("research-bot"));
    QTest::mouseClick(ask->findChild<QPushButton*>(QStringLiteral("createAgent")), Qt::LeftButton);
    QDialog* shown = nullptr;
    QVERIFY(QTest::qWaitFor(
        [&] {
            shown = m_window->findChild<QDialog*>(QStringLiteral("agentSecretDialog"));
            return shown && shown->isVisible();
        },
        10'000));
    const QString secret = shown->findChild<QLineEdit*>(QStringLiteral("agentSecret"))->text();
    QVERIFY(secret.size() >= 30);
    QVERIFY(shown->findChild<QPlainTextEdit*>(QStringLiteral("envSnippet"))
                ->toPlainText()
                .contains(QStringLiteral("research-bot:") + secret));
    QTest::mouseClick(shown->findChild<QPushButton*>(QStringLiteral("closeAgentSecret")),
                      Qt::LeftButton);
    QVERIFY(QTest::qWaitFor(
        [&] { return !m_window->findChild<QDialog*>(QStringLiteral("agentSecretDialog")); },
        5'000));
    // The agent is listed; its secret is nowhere in the window any more.
    auto* model = page->findChild<QAbstractItemView*>(QStringLiteral("agentsView"))->model();
    QVERIFY(QTest::qWaitFor(
        [&] {
            return !model
                        ->match(model->index(0, 0), Qt::DisplayRole, QStringLiteral("research-bot"))
                        .isEmpty();
        },
        5'000));
    for (QWidget* widget : m_window->findChildren<QWidget*>()) {
        if (auto* line = qobject_cast<QLineEdit*>(widget)) {
            QVERIFY(!line->text().contains(secret));
        } else if (auto* label = qobject_cast<QLabel*>(widget)) {
            QVERIFY(!label->text().contains(secret));
        } else if (auto* text = qobject_cast<QPlainTextEdit*>(widget)) {
            QVERIFY(!text->toPlainText().contains(secret));
        }
    }
}

void WalletGuiTest::nodeFormValidatesAndTestsTheConnection()
{
    test::FakeLnd lnd;
    QVERIFY(lnd.start());
    lnd.setBalanceMsat(123'456'000);
    const QString macaroonFile = m_dir.path() + QStringLiteral("/admin.macaroon");
    const QString certFile = m_dir.path() + QStringLiteral("/tls.cert");
    {
        QFile macaroon(macaroonFile);
        QVERIFY(macaroon.open(QIODevice::WriteOnly));
        macaroon.write(lnd.macaroon());
        QFile cert(certFile);
        QVERIFY(cert.open(QIODevice::WriteOnly));
        cert.write(lnd.certificate().toPem());
    }
    ui::NodePage* page = m_window->nodePage();
    m_window->showPage(ui::MainWindow::Page::Node);
    auto* backend = page->findChild<QComboBox*>(QStringLiteral("nodeBackend"));
    QVERIFY(backend);
    backend->setCurrentIndex(0); // LND
    auto* url = page->findChild<QLineEdit*>(QStringLiteral("lndUrl"));
    QVERIFY(url);
    url->setText(QStringLiteral("ftp://nowhere"));
    const auto setFile = [&](const char* name, const QString& path) {
        QWidget* holder = page->findChild<QWidget*>(QLatin1String(name));
        QVERIFY(holder);
        auto* line = qobject_cast<QLineEdit*>(holder);
        if (!line) {
            line = holder->findChild<QLineEdit*>();
        }
        QVERIFY(line);
        line->setText(path);
    };
    setFile("lndMacaroon", macaroonFile);
    setFile("lndCert", certFile);
    QTest::mouseClick(page->findChild<QPushButton*>(QStringLiteral("testNode")), Qt::LeftButton);
    QVERIFY2(page->errorText().contains(QStringLiteral("https://")), qPrintable(page->errorText()));

    url->setText(lnd.url().toString());
    QTest::mouseClick(page->findChild<QPushButton*>(QStringLiteral("testNode")), Qt::LeftButton);
    auto* result = page->findChild<QLabel*>(QStringLiteral("nodeTestResult"));
    QVERIFY(result);
    QVERIFY2(QTest::qWaitFor([&] { return result->text().contains(QStringLiteral("fake-lnd")); },
                             15'000),
             qPrintable(result->text() + page->errorText()));
    QVERIFY(result->text().contains(QStringLiteral("123,456")));
}

void WalletGuiTest::tokensShowTheirCaveats()
{
    ui::TokensPage* page = m_window->tokensPage();
    m_window->showPage(ui::MainWindow::Page::Tokens);
    auto* view = page->findChild<QAbstractItemView*>(QStringLiteral("tokensView"));
    QVERIFY(QTest::qWaitFor([&] { return view->model()->rowCount() >= 2; }, 10'000));
    view->setCurrentIndex(view->model()->index(0, 0));
    auto* caveats = page->findChild<QWidget*>(QStringLiteral("tokenCaveats"));
    QVERIFY(caveats);
    auto* macaroon = page->findChild<QPlainTextEdit*>(QStringLiteral("tokenMacaroon"));
    QVERIFY(macaroon);
    QVERIFY(QTest::qWaitFor([&] { return !macaroon->toPlainText().isEmpty(); }, 5'000));
    // The caveats in words, from the token the demo API minted (services=<name>:0).
    auto* list = qobject_cast<QListWidget*>(caveats);
    QVERIFY(list);
    QStringList words;
    for (int i = 0; i < list->count(); ++i) {
        words << list->item(i)->text();
    }
    QVERIFY2(words.join(u'|').contains(QRegularExpression(QStringLiteral("Service \\w+, tier 0"))),
             qPrintable(words.join(u'|')));
}

void WalletGuiTest::lockedWalletCanBeAnsweredAfterUnlock()
{
    // A request waits; the wallet is locked (its service, engine and proxy go); unlocked
    // again, a new request is prompted and answered from the Approvals page, reaching the new
    // service, never the old one.
    QProcess waiting;
    startAgentRequest(waiting, QStringLiteral("/v1/dataset.csv"));
    QVERIFY(waitForPrompt(1));
    auto* session = m_session.get();
    QMetaObject::invokeMethod(
        session, [session] { session->lock(); }, Qt::QueuedConnection);
    QMessageBox* question = nullptr;
    QVERIFY(QTest::qWaitFor(
        [&] {
            for (QWidget* widget : QApplication::topLevelWidgets()) {
                if (auto* box = qobject_cast<QMessageBox*>(widget); box && box->isVisible()) {
                    question = box;
                }
            }
            return question != nullptr;
        },
        10'000));
    QVERIFY(!m_session->isUnlocked());
    QVERIFY(!m_window->approvalPrompt()->isVisible());
    QCOMPARE(m_window->approvalsPage()->model()->rowCount(), 0);
    QCOMPARE(m_window->activityPage()->model()->rowCount(), 0); // no history on a locked screen
    const QByteArray cut = finish(waiting); // its proxy went away with the wallet
    QVERIFY(!cut.startsWith("HTTP/1.1 200"));
    m_service.clear();
    // Unlocking again asks for the passphrase (a passphrase wallet; answered here as a person
    // would type it).
    int asked = 0;
    m_session->setPassphraseSource([&asked](bool) {
        ++asked;
        return std::optional<QByteArray>(QByteArrayLiteral("gui test passphrase"));
    });
    question->button(QMessageBox::Yes)->click();
    QVERIFY(QTest::qWaitFor([&] { return m_session->isUnlocked() && m_service; }, 30'000));
    QCOMPARE(asked, 1);
    QVERIFY(QTest::qWaitFor([&] { return !m_window->demoTryLine().isEmpty(); }, 30'000));
    const QRegularExpressionMatch line =
        QRegularExpression(QStringLiteral("curl -H '([^']+)' (http://\\S+)/v1/quote"))
            .match(m_window->demoTryLine());
    m_agentHeader = line.captured(1);
    m_gatewayBase = line.captured(2);

    QProcess again;
    startAgentRequest(again, QStringLiteral("/v1/dataset.csv"));
    QVERIFY(waitForPrompt(1));
    auto* table =
        m_window->approvalsPage()->findChild<QTableView*>(QStringLiteral("approvalsTable"));
    QVERIFY(QTest::qWaitFor([&] { return table->model()->rowCount() == 1; }, 5'000));
    table->selectRow(0);
    QTest::mouseClick(
        m_window->approvalsPage()->findChild<QPushButton*>(QStringLiteral("denySelected")),
        Qt::LeftButton);
    QVERIFY(finish(again).contains("L402-Wallet-Error: denied_by_user"));
}

void WalletGuiTest::everyPageRendersToPng()
{
    // Two weeks of history across several sites and agents, written while the wallet is
    // closed, so the pages show what a user of some weeks sees.
    stopWallet();
    {
        auto wallet = test::openWalletAndWait(
            test::passphraseRequest(m_dir.path() + QStringLiteral("/wallet"),
                                    QByteArrayLiteral("gui test passphrase")),
            nullptr, SystemClock::instance());
        QVERIFY(wallet);
        QVERIFY(test::seedHistory((*wallet)->database(), 180,
                                  SystemClock::instance().nowSeconds() - 600, 14));
    }
    QVERIFY(startWallet());
    const QString directory = screenshotDirectory();
    m_window->resize(1280, 860);
    ui::ActivityModel* activity = m_window->activityPage()->model();
    QVERIFY(QTest::qWaitFor([&] { return activity->rowCount() >= 180; }, 10'000));
    (void)activity->data(activity->index(0, 0));
    QVERIFY(QTest::qWaitFor([&] { return activity->rowAt(0).has_value(); }, 10'000));
    m_window->activityPage()->table()->selectRow(1);
    const struct {
        ui::MainWindow::Page page;
        const char* file;
    } pages[] = {
        {ui::MainWindow::Page::Activity, "activity"},
        {ui::MainWindow::Page::Approvals, "approvals"},
        {ui::MainWindow::Page::Tokens, "tokens"},
        {ui::MainWindow::Page::Budgets, "budgets"},
        {ui::MainWindow::Page::Agents, "agents"},
        {ui::MainWindow::Page::Node, "node"},
        {ui::MainWindow::Page::Settings, "settings"},
    };
    for (const auto& [page, file] : pages) {
        m_window->showPage(page);
        drain();
        if (page == ui::MainWindow::Page::Tokens) { // with a token's caveats on show
            auto* view =
                m_window->tokensPage()->findChild<QAbstractItemView*>(QStringLiteral("tokensView"));
            if (view->model()->rowCount() > 0) {
                view->setCurrentIndex(view->model()->index(view->model()->rowCount() - 1, 0));
                drain();
            }
        }
        const QImage image = m_window->grab().toImage();
        QVERIFY(!image.isNull());
        QVERIFY(image.save(directory + QStringLiteral("/%1.png").arg(QLatin1String(file))));
    }
    // The Activity page in a dark palette too.
    const QPalette light = QApplication::palette();
    QPalette dark;
    dark.setColor(QPalette::Window, QColor(0x20, 0x23, 0x27));
    dark.setColor(QPalette::WindowText, QColor(0xe6, 0xe6, 0xe6));
    dark.setColor(QPalette::Base, QColor(0x17, 0x19, 0x1c));
    dark.setColor(QPalette::AlternateBase, QColor(0x26, 0x29, 0x2e));
    dark.setColor(QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
    dark.setColor(QPalette::Button, QColor(0x2c, 0x30, 0x35));
    dark.setColor(QPalette::ButtonText, QColor(0xe6, 0xe6, 0xe6));
    dark.setColor(QPalette::Highlight, QColor(0x3d, 0x8b, 0xd8));
    dark.setColor(QPalette::HighlightedText, Qt::white);
    dark.setColor(QPalette::PlaceholderText, QColor(0x9a, 0xa0, 0xa6));
    QApplication::setPalette(dark);
    m_window->showPage(ui::MainWindow::Page::Activity);
    m_window->activityPage()->refresh();
    drain();
    QVERIFY(m_window->grab().save(directory + QStringLiteral("/activity-dark.png")));
    m_window->showPage(ui::MainWindow::Page::Budgets);
    drain();
    QVERIFY(m_window->grab().save(directory + QStringLiteral("/budgets-dark.png")));
    QApplication::setPalette(light);

    // The prompt, with two requests waiting.
    QProcess first;
    QProcess second;
    startAgentRequest(first, QStringLiteral("/v1/dataset.csv"));
    QVERIFY(waitForPrompt(1));
    startAgentRequest(second, QStringLiteral("/v1/weather"));
    QVERIFY(waitForPrompt(2));
    QVERIFY(m_window->approvalPrompt()->grab().save(directory + QStringLiteral("/prompt.png")));
    m_window->showPage(ui::MainWindow::Page::Approvals);
    drain();
    QVERIFY(m_window->grab().save(directory + QStringLiteral("/approvals-waiting.png")));
    m_window->approvalPrompt()->answer(false);
    m_window->approvalPrompt()->answer(false);
    finish(first);
    finish(second);
}

// The kill switch from the tray: every payment stops at once (the agent gets wallet_paused and
// nobody is asked), the tray icon and the window show it, the window's Resume ends it; an
// agent pause shows in the banner too.
void WalletGuiTest::trayPauseStopsPaymentsAndShowsIt()
{
    ui::TrayIcon tray(m_window.get(), true);
    const QImage runningIcon = tray.currentIcon().pixmap(22, 22).toImage();
    QVERIFY(!tray.showsPaused());
    QVERIFY(tray.menu()->actions().contains(tray.pauseAction()));
    QCOMPARE(tray.pauseAction()->text(), QStringLiteral("Pause all spending"));
    QVERIFY(!m_window->pausedBanner()->isVisible());

    tray.pauseAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(tray.showsPaused(), 10'000);
    QVERIFY(m_window->spendingPaused());
    QVERIFY(m_window->pausedBanner()->isVisible());
    QCOMPARE(tray.pauseAction()->text(), QStringLiteral("Resume spending"));
    QCOMPARE(m_window->pauseButton()->text(), QStringLiteral("Resume spending"));
    QVERIFY(tray.toolTip().contains(QStringLiteral("paused")));
    QVERIFY(tray.currentIcon().pixmap(22, 22).toImage() != runningIcon);
    QVERIFY(onWallet(m_service.data(), [](service::WalletService& wallet) {
        return wallet.spending().walletPaused;
    }));

    // The rule for the demo API asks, but nobody is asked: the payment is refused first.
    QProcess curl;
    startAgentRequest(curl, QStringLiteral("/v1/weather"));
    const QByteArray answer = finish(curl);
    QVERIFY2(answer.startsWith("HTTP/1.1 402"), answer.constData());
    QVERIFY(answer.contains("L402-Wallet-Error: wallet_paused"));
    QVERIFY(!m_window->approvalPrompt()->isVisible());

    const QString directory = screenshotDirectory();
    for (const QSize size : {QSize(900, 600), QSize(1600, 1000)}) {
        m_window->resize(size);
        QCoreApplication::processEvents();
        QVERIFY(m_window->grab().save(
            directory + QStringLiteral("/paused-%1x%2.png").arg(size.width()).arg(size.height())));
    }
    QVERIFY(tray.currentIcon().pixmap(64, 64).save(directory + QStringLiteral("/tray-paused.png")));
    m_window->resize(1280, 860);

    // Resume from the window's banner: a click there is owner proof.
    QTest::mouseClick(
        m_window->pausedBanner()->findChild<QPushButton*>(QStringLiteral("resumeSpending")),
        Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!tray.showsPaused(), 10'000);
    QVERIFY(!m_window->pausedBanner()->isVisible());
    QCOMPARE(tray.currentIcon().pixmap(22, 22).toImage(), runningIcon);
    QVERIFY(!onWallet(m_service.data(), [](service::WalletService& wallet) {
        return wallet.spending().walletPaused;
    }));

    // An agent pause (made elsewhere) shows in the banner, without the Resume button.
    QVERIFY(onWallet(m_service.data(), [](service::WalletService& wallet) {
        return wallet.setAgentPaused(QStringLiteral("demo"), true).ok();
    }));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->pausedBanner()->isVisible(), 10'000);
    QVERIFY(m_window->findChild<QLabel*>(QStringLiteral("pausedText"))
                ->text()
                .contains(QStringLiteral("demo")));
    QVERIFY(!tray.showsPaused());
    QVERIFY(onWallet(m_service.data(), [](service::WalletService& wallet) {
        return wallet.setAgentPaused(QStringLiteral("demo"), false).ok();
    }));
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->pausedBanner()->isVisible(), 10'000);
}

void WalletGuiTest::startOwnerCommand(QProcess& cli, const QStringList& arguments)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("L402_WALLET_PASSPHRASE"));
    environment.remove(QStringLiteral("L402_WALLET_HOME"));
    cli.setProcessEnvironment(environment);
    // setsid: no terminal to type a passphrase on, so the window is the only proof.
    cli.start(QStringLiteral("setsid"),
              QStringList{QStringLiteral("-w"), QStringLiteral(L402_WALLET_EXECUTABLE),
                          QStringLiteral("--data-dir"), m_dir.path() + QStringLiteral("/wallet"),
                          QStringLiteral("--json")} +
                  arguments);
}

QByteArray WalletGuiTest::readCommand(const QStringList& arguments)
{
    QProcess cli;
    startOwnerCommand(cli, arguments);
    return finish(cli);
}

void WalletGuiTest::ownerCommandsAreConfirmedInTheWindow()
{
    ui::OwnerConfirmDialog* dialog = m_session->ownerConfirmDialog();
    QVERIFY(dialog);
    const QString directory = screenshotDirectory();
    const auto asked = [&](QProcess& cli) {
        const bool shown = QTest::qWaitFor(
            [&] {
                return (dialog->isVisible() && dialog->queued() == 1) ||
                       cli.state() == QProcess::NotRunning;
            },
            30'000);
        if (!shown || !dialog->isVisible()) {
            qWarning("the dialog did not ask: %s %s", cli.readAllStandardOutput().constData(),
                     cli.readAllStandardError().constData());
            return false;
        }
        return true;
    };

    // Allow: the dialog names the command, what it does and who asked.
    QProcess allowed;
    startOwnerCommand(allowed,
                      {QStringLiteral("budget"), QStringLiteral("set"),
                       QStringLiteral("owner-test.example"), QStringLiteral("--mode"),
                       QStringLiteral("auto"), QStringLiteral("--daily"), QStringLiteral("50")});
    QVERIFY(asked(allowed));
    QVERIFY(!dialog->allowArmed()); // a click already on its way does not allow it
    const QString process = dialog->findChild<QLabel*>(QStringLiteral("ownerProcess"))->text();
    const QString commandLine =
        dialog->findChild<QLabel*>(QStringLiteral("ownerCommandLine"))->text();
    // setsid -w forks: the caller is its child, the l402-wallet process itself.
    QVERIFY2(process.contains(QStringLiteral("l402-wallet")), qPrintable(process));
    const QString pid =
        QRegularExpression(QStringLiteral("process (\\d+)")).match(process).captured(1);
    QVERIFY2(!pid.isEmpty(), qPrintable(process));
    QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
    QVERIFY(cmdline.open(QIODevice::ReadOnly));
    QVERIFY(cmdline.readAll().contains("owner-test.example"));
    QVERIFY2(commandLine.contains(QStringLiteral("budget set owner-test.example")),
             qPrintable(commandLine));
    QVERIFY(dialog->findChild<QLabel*>(QStringLiteral("ownerCommand"))
                ->text()
                .contains(QStringLiteral("budget set owner-test.example")));
    const QString effect = dialog->findChild<QLabel*>(QStringLiteral("ownerEffect"))->text();
    QVERIFY2(effect.contains(QStringLiteral("owner-test.example")), qPrintable(effect));
    auto* deny = dialog->findChild<QPushButton*>(QStringLiteral("ownerDeny"));
    auto* allow = dialog->findChild<QPushButton*>(QStringLiteral("ownerAllow"));
    QVERIFY(deny->isDefault());
    QVERIFY(QTest::qWaitFor([&] { return dialog->allowArmed(); }, 5'000));
    dialog->adjustSize();
    QVERIFY(dialog->grab().save(directory + QStringLiteral("/owner-confirm.png")));
    dialog->resize(900, 520);
    QVERIFY(dialog->grab().save(directory + QStringLiteral("/owner-confirm-large.png")));
    QTest::mouseClick(allow, Qt::LeftButton);
    const QByteArray allowedOut = finish(allowed);
    QCOMPARE(allowed.exitCode(), 0);
    QVERIFY(!dialog->isVisible());
    QVERIFY2(readCommand({QStringLiteral("budget"), QStringLiteral("list")})
                 .contains("owner-test.example"),
             allowedOut.constData());

    // Deny: refused with owner_denied, nothing added.
    QProcess denied;
    startOwnerCommand(denied,
                      {QStringLiteral("agent"), QStringLiteral("add"), QStringLiteral("mallory")});
    QVERIFY(asked(denied));
    QTest::mouseClick(deny, Qt::LeftButton);
    const QByteArray deniedOut = finish(denied);
    QVERIFY(denied.exitCode() != 0);
    QVERIFY2(deniedOut.contains("owner_denied"), deniedOut.constData());
    QVERIFY(!readCommand({QStringLiteral("agent"), QStringLiteral("list")}).contains("mallory"));

    // No answer: a deny when the time is up, and the dialog goes away.
    QProcess unanswered;
    startOwnerCommand(unanswered, {QStringLiteral("budget"), QStringLiteral("remove"),
                                   QStringLiteral("owner-test.example")});
    QVERIFY(asked(unanswered));
    const QByteArray unansweredOut = finish(unanswered);
    QVERIFY(unanswered.exitCode() != 0);
    QVERIFY2(unansweredOut.contains("owner_denied"), unansweredOut.constData());
    QVERIFY(QTest::qWaitFor([&] { return !dialog->isVisible(); }, 5'000));
    QVERIFY(readCommand({QStringLiteral("budget"), QStringLiteral("list")})
                .contains("owner-test.example"));

    // The brake is never asked about.
    QProcess paused;
    startOwnerCommand(paused, {QStringLiteral("pause")});
    finish(paused);
    QCOMPARE(paused.exitCode(), 0);
    QVERIFY(!dialog->isVisible());
    QProcess resumed;
    startOwnerCommand(resumed, {QStringLiteral("resume")});
    QVERIFY(asked(resumed));
    QVERIFY(QTest::qWaitFor([&] { return dialog->allowArmed(); }, 5'000));
    QTest::mouseClick(allow, Qt::LeftButton);
    finish(resumed);
    QCOMPARE(resumed.exitCode(), 0);
}

QTEST_MAIN(WalletGuiTest)
#include "WalletGuiTest.moc"
