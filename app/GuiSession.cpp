#include "app/GuiSession.h"

#include "core/store/WalletKey.h"
#include "ui/AgentSecretDialog.h"
#include "ui/MainWindow.h"
#include "ui/OwnerConfirmDialog.h"
#include "ui/TrayIcon.h"
#include "ui/Widgets.h"

#include <QInputDialog>
#include <QLineEdit>
#include <QMessageBox>
#include <QStatusBar>

namespace l402::app {

GuiSession::GuiSession(ui::MainWindow& window, ui::TrayIcon* tray, WalletHost::Options options,
                       QObject* parent)
    : QObject(parent)
    , m_window(window)
    , m_tray(tray)
    , m_options(std::move(options))
{
    m_thread.setObjectName(QStringLiteral("l402-wallet"));
    m_thread.start();
    qRegisterMetaType<l402::control::OwnerRequest>();
    m_ownerConfirm = new ui::OwnerConfirmDialog(&window);
    connect(&window, &ui::MainWindow::lockRequested, this, &GuiSession::lock);
    if (tray) {
        connect(&window, &ui::MainWindow::overviewChanged, tray,
                [tray](const service::Overview& overview) {
                    tray->setSpentToday(ui::satText(overview.spentTodayMsat));
                });
        connect(&window, &ui::MainWindow::approvalsPending, tray,
                &ui::TrayIcon::setPendingApprovals);
        connect(&window, &ui::MainWindow::approvalWaiting, tray, &ui::TrayIcon::notifyApproval);
    }
}

GuiSession::~GuiSession()
{
    stopHost();
    m_thread.quit();
    m_thread.wait();
}

void GuiSession::start(std::optional<crypto::SecureBytes> passphrase)
{
    stopHost();
    WalletHost::Options options;
    options.unlock.dataDir = m_options.unlock.dataDir;
    options.unlock.passphrase = std::move(passphrase);
    options.unlock.newWalletKdf = m_options.unlock.newWalletKdf;
    options.demo = m_options.demo;
    options.proxy = m_options.proxy;
    options.approverPresent = true; // the window answers approvals
    options.portExplicit = m_options.portExplicit;
    options.ownerWindow = true; // owner commands from other processes are confirmed here
    options.ownerConfirmTimeout = m_options.ownerConfirmTimeout;
    if (m_firstRun && !m_firstRun->nodeArguments.isEmpty()) {
        // Saved by the host before its engine starts, so the first payment uses it.
        auto settings = node::settingsFromArguments(m_firstRun->nodeArguments);
        if (settings) {
            options.initialNode = settings.value();
        } else {
            m_window.showWalletProblem(settings.error().message);
        }
        m_firstRun->nodeArguments.clear();
    }
    auto* host = new WalletHost(std::move(options));
    host->moveToThread(&m_thread);
    m_host = host;
    connect(host, &WalletHost::unlocked, &m_window, [this] { m_window.clearWalletProblem(); });
    connect(host, &WalletHost::failed, this,
            [this, host](const QString& code, const QString& message) {
                if (m_host != host) {
                    return; // from a host that was since stopped
                }
                if (m_service) {
                    // Unlocked, but the proxy could not start (its port is taken, say).
                    m_window.showProblem(tr("The proxy is not running: %1").arg(message));
                    return;
                }
                m_window.showWalletProblem(message);
                if (code == QLatin1String(store::key_error::kPassphraseRequired) ||
                    code == QLatin1String(store::key_error::kWrongPassphrase)) {
                    askPassphrase(code == QLatin1String(store::key_error::kWrongPassphrase));
                }
            });
    connect(host, &WalletHost::warning, &m_window,
            [this](const QString& message) { m_window.statusBar()->showMessage(message, 15'000); });
    connect(host, &WalletHost::demoReady, &m_window,
            [this](const QString&, const QString& line) { m_window.setDemoTryLine(line); });
    connect(host, &WalletHost::proxyListening, this, [this](quint16 port) {
        if (m_tray) {
            m_tray->setProxyState(true, port);
        }
    });
    connect(host, &WalletHost::ownerConfirmationNeeded, m_ownerConfirm,
            &ui::OwnerConfirmDialog::enqueue);
    connect(host, &WalletHost::ownerConfirmationEnded, m_ownerConfirm,
            &ui::OwnerConfirmDialog::resolved);
    connect(m_ownerConfirm, &ui::OwnerConfirmDialog::answered, host,
            [host = QPointer<WalletHost>(host)](const QString& id, bool allow) {
                if (host) {
                    host->answerOwner(id, allow);
                }
            });
    connect(host, &WalletHost::serviceReady, this, [this, host](service::WalletService* service) {
        if (m_host != host) {
            return;
        }
        m_service = service;
        m_window.setService(service);
        if (m_tray) {
            connect(service, &service::WalletService::anomalyDetected, m_tray,
                    [tray = m_tray](const QString&, const QString& message) {
                        if (tray) {
                            tray->notifyAnomaly(message);
                        }
                    });
        }
        applyFirstRun(service);
        Q_EMIT serviceReady(service);
    });
    QMetaObject::invokeMethod(host, &WalletHost::start, Qt::QueuedConnection);
}

void GuiSession::stopHost()
{
    if (!m_host) {
        return;
    }
    // Destroyed on its own thread, where the database and the proxy live; wait for it, so the
    // folder lock is free before a new host starts.
    WalletHost* host = m_host.data();
    m_host.clear();
    m_ownerConfirm->clear(); // the host that asked is going: nothing here can be answered
    m_service.clear();
    m_window.setService(nullptr); // before the service goes: nothing may reach it after
    m_window.setDemoTryLine(QString());
    QMetaObject::invokeMethod(
        host, [host] { delete host; }, Qt::BlockingQueuedConnection);
    if (m_tray) {
        m_tray->setProxyState(false, 0);
    }
}

void GuiSession::lock()
{
    stopHost();
    m_window.showWalletProblem(tr("locked. Its key is out of memory and the proxy is closed."));
    Q_EMIT locked();
    // Asked without a nested event loop: the window stays live behind the question.
    auto* question = new QMessageBox(QMessageBox::Question, tr("Wallet locked"),
                                     tr("The wallet is locked. Unlock it again?"),
                                     QMessageBox::Yes | QMessageBox::No, &m_window);
    question->setObjectName(QStringLiteral("unlockQuestion"));
    question->setAttribute(Qt::WA_DeleteOnClose);
    connect(question, &QMessageBox::finished, this, [this](int result) {
        if (result == QMessageBox::Yes) {
            start(std::nullopt);
        }
    });
    question->open();
}

void GuiSession::askPassphrase(bool wrong)
{
    if (m_passphraseSource) {
        if (const auto given = m_passphraseSource(wrong)) {
            start(crypto::SecureBytes(*given));
        }
        return;
    }
    // Asked without a nested event loop; cancelling leaves the window with the reason shown.
    auto* dialog = new QInputDialog(&m_window);
    dialog->setObjectName(QStringLiteral("passphraseDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Unlock the wallet"));
    dialog->setLabelText(wrong ? tr("That passphrase did not open the wallet. Try again:")
                               : tr("This wallet is protected by a passphrase:"));
    dialog->setTextEchoMode(QLineEdit::Password);
    connect(dialog, &QInputDialog::textValueSelected, this, [this](const QString& text) {
        if (!text.isEmpty()) {
            start(crypto::SecureBytes(text.toUtf8()));
        }
    });
    dialog->open();
}

void GuiSession::applyFirstRun(service::WalletService* service)
{
    if (!m_firstRun) {
        return;
    }
    const FirstRun firstRun = *std::exchange(m_firstRun, std::nullopt);
    // (Its node, if any, was saved by the host before the engine started.)
    if (!firstRun.agentName.isEmpty()) {
        const QString name = firstRun.agentName;
        service::ask(
            service, this,
            [name](service::WalletService& wallet) {
                return std::pair{wallet.addAgent(name), wallet.proxyPort()};
            },
            [this](std::pair<Result<policy::NewAgent>, quint16> added) {
                if (!added.first) {
                    QMessageBox::warning(&m_window, tr("Agent not created"),
                                         added.first.error().message);
                    return;
                }
                auto* dialog =
                    new ui::AgentSecretDialog(added.first->name, added.first->secret,
                                              added.second ? added.second : quint16(8402),
                                              m_options.unlock.dataDir, &m_window);
                dialog->setAttribute(Qt::WA_DeleteOnClose); // the secret goes with it
                dialog->open();
            });
    }
}

} // namespace l402::app
