#include "app/GuiSession.h"

#include "core/store/WalletKey.h"
#include "ui/AgentSecretDialog.h"
#include "ui/MainWindow.h"
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
    auto* host = new WalletHost(std::move(options));
    host->moveToThread(&m_thread);
    m_host = host;
    connect(host, &WalletHost::unlocked, &m_window, [this] { m_window.clearWalletProblem(); });
    connect(host, &WalletHost::failed, this, [this](const QString& code, const QString& message) {
        if (code == QLatin1String(store::key_error::kPassphraseRequired) ||
            code == QLatin1String(store::key_error::kWrongPassphrase)) {
            const auto given =
                askPassphrase(code == QLatin1String(store::key_error::kWrongPassphrase));
            if (given) {
                start(crypto::SecureBytes(*given));
                return;
            }
        }
        m_window.showWalletProblem(message);
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
    connect(host, &WalletHost::serviceReady, this, [this](service::WalletService* service) {
        m_service = service;
        m_window.setService(service);
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
    m_service.clear();
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
    const auto choice = QMessageBox::question(&m_window, tr("Wallet locked"),
                                              tr("The wallet is locked. Unlock it again?"),
                                              QMessageBox::Yes | QMessageBox::No);
    if (choice == QMessageBox::Yes) {
        start(std::nullopt);
    }
}

std::optional<QByteArray> GuiSession::askPassphrase(bool wrong)
{
    if (m_passphraseSource) {
        return m_passphraseSource(wrong);
    }
    bool ok = false;
    const QString text =
        QInputDialog::getText(&m_window, tr("Unlock the wallet"),
                              wrong ? tr("That passphrase did not open the wallet. Try again:")
                                    : tr("This wallet is protected by a passphrase:"),
                              QLineEdit::Password, QString(), &ok);
    if (!ok || text.isEmpty()) {
        return std::nullopt;
    }
    return text.toUtf8();
}

void GuiSession::applyFirstRun(service::WalletService* service)
{
    if (!m_firstRun) {
        return;
    }
    const FirstRun firstRun = *std::exchange(m_firstRun, std::nullopt);
    if (!firstRun.nodeArguments.isEmpty()) {
        auto settings = node::settingsFromArguments(firstRun.nodeArguments);
        if (!settings) {
            m_window.showWalletProblem(settings.error().message);
        } else {
            service::ask(
                service, this,
                [stored = settings.value()](service::WalletService& wallet) {
                    return wallet.saveNode(stored);
                },
                [this](Status saved) {
                    if (!saved) {
                        QMessageBox::warning(&m_window, tr("Node not saved"),
                                             saved.error().message);
                    } else {
                        m_window.statusBar()->showMessage(
                            tr("Node saved: the wallet pays through it from its next start."),
                            15'000);
                    }
                });
        }
    }
    if (!firstRun.agentName.isEmpty()) {
        const QString name = firstRun.agentName;
        service::ask(
            service, this,
            [name](service::WalletService& wallet) {
                return std::pair{wallet.addAgent(name), wallet.proxyPort()};
            },
            [this, service](std::pair<Result<policy::NewAgent>, quint16> added) {
                if (!added.first) {
                    QMessageBox::warning(&m_window, tr("Agent not created"),
                                         added.first.error().message);
                    return;
                }
                ui::AgentSecretDialog dialog(added.first->name, added.first->secret,
                                             added.second ? added.second : quint16(8402),
                                             service ? service->dataDir() : QString(), &m_window);
                dialog.exec();
            });
    }
}

} // namespace l402::app
