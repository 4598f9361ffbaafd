#include "ui/TrayIcon.h"

#include "ui/ApprovalPrompt.h"
#include "ui/MainWindow.h"

#include <QApplication>
#include <QIcon>
#include <QMenu>
#include <QPainter>
#include <QSystemTrayIcon>

#include <algorithm>

namespace l402::ui {
namespace {

void bringToFront(QWidget* widget)
{
    widget->showNormal();
    widget->raise();
    widget->activateWindow();
}

// The tray icon with a red pause badge in its lower right corner, drawn over the usual icon so
// it reads as "the same wallet, stopped" at tray sizes.
QIcon pausedIcon(const QIcon& base)
{
    QIcon icon;
    for (const int size : {16, 22, 32, 44, 64}) {
        QPixmap pixmap = base.pixmap(size, size);
        QPainter painter(&pixmap);
        painter.setRenderHint(QPainter::Antialiasing);
        const qreal badge = size * 0.62;
        const QRectF circle(size - badge, size - badge, badge, badge);
        painter.setPen(QPen(QColor(0xff, 0xff, 0xff), std::max(1.0, size / 22.0)));
        painter.setBrush(QColor(0xb3, 0x26, 0x1e));
        painter.drawEllipse(circle.adjusted(0.5, 0.5, -0.5, -0.5));
        painter.setPen(Qt::NoPen);
        painter.setBrush(QColor(0xff, 0xff, 0xff));
        const qreal barWidth = badge * 0.16;
        const qreal barHeight = badge * 0.46;
        const qreal top = circle.center().y() - barHeight / 2;
        painter.drawRect(QRectF(circle.center().x() - barWidth * 1.4, top, barWidth, barHeight));
        painter.drawRect(QRectF(circle.center().x() + barWidth * 0.4, top, barWidth, barHeight));
        painter.end();
        icon.addPixmap(pixmap);
    }
    return icon;
}

} // namespace

TrayIcon::TrayIcon(MainWindow* window, bool demo, QObject* parent)
    : QObject(parent)
    , m_window(window)
    , m_demo(demo)
    , m_spent(tr("0 sat"))
{
    m_menu = new QMenu();
    m_menu->setObjectName(QStringLiteral("trayMenu"));
    QAction* title = m_menu->addAction(demo ? tr("Demo — simulated funds") : tr("L402 Wallet"));
    title->setEnabled(false);
    m_proxyLine = m_menu->addAction(QString());
    m_proxyLine->setEnabled(false);
    m_spentLine = m_menu->addAction(QString());
    m_spentLine->setEnabled(false);
    m_pendingLine = m_menu->addAction(QString());
    connect(m_pendingLine, &QAction::triggered, m_window, [this] {
        if (m_window->approvalPrompt()->queued() > 0) {
            bringToFront(m_window->approvalPrompt());
        } else {
            m_window->showPage(MainWindow::Page::Approvals);
            bringToFront(m_window);
        }
    });
    m_menu->addSeparator();
    m_pauseAction = m_menu->addAction(tr("Pause all spending"));
    m_pauseAction->setObjectName(QStringLiteral("trayPauseSpending"));
    connect(m_pauseAction, &QAction::triggered, m_window, [this] {
        if (m_paused) {
            m_window->resumeAllSpending();
        } else {
            m_window->pauseAllSpending();
        }
    });
    connect(m_window, &MainWindow::spendingPausedChanged, this, &TrayIcon::setSpendingPaused);
    connect(m_menu->addAction(tr("Open L402 Wallet")), &QAction::triggered, m_window,
            [this] { bringToFront(m_window); });
    connect(m_menu->addAction(tr("Activity")), &QAction::triggered, m_window, [this] {
        m_window->showPage(MainWindow::Page::Activity);
        bringToFront(m_window);
    });
    m_menu->addSeparator();
    connect(m_menu->addAction(tr("Quit")), &QAction::triggered, qApp, &QApplication::quit);

    if (QSystemTrayIcon::isSystemTrayAvailable()) {
        m_icon = new QSystemTrayIcon(QIcon(QStringLiteral(":/icons/tray.svg")), this);
        m_icon->setObjectName(QStringLiteral("trayIcon"));
        m_icon->setContextMenu(m_menu);
        connect(m_icon, &QSystemTrayIcon::activated, m_window,
                [this](QSystemTrayIcon::ActivationReason reason) {
                    if (reason == QSystemTrayIcon::Trigger) {
                        m_window->setVisible(!m_window->isVisible());
                    }
                });
        connect(m_icon, &QSystemTrayIcon::messageClicked, m_window, [this] {
            if (m_window->approvalPrompt()->queued() > 0) {
                bringToFront(m_window->approvalPrompt());
            }
        });
        m_icon->show();
    }
    update();
}

TrayIcon::~TrayIcon()
{
    delete m_menu;
}

void TrayIcon::setSpendingPaused(bool paused)
{
    m_paused = paused;
    update();
}

bool TrayIcon::isVisible() const
{
    return m_icon && m_icon->isVisible();
}

QString TrayIcon::toolTip() const
{
    QStringList lines{m_demo ? tr("L402 Wallet (demo)") : tr("L402 Wallet"), m_proxyLine->text(),
                      m_spentLine->text()};
    if (m_pending > 0) {
        lines << m_pendingLine->text();
    }
    if (m_paused) {
        lines << tr("All spending is paused");
    }
    return lines.join(u'\n');
}

void TrayIcon::setProxyState(bool listening, quint16 port)
{
    m_listening = listening;
    m_port = port;
    update();
}

void TrayIcon::setSpentToday(const QString& amount)
{
    m_spent = amount;
    update();
}

void TrayIcon::setPendingApprovals(int count)
{
    m_pending = count;
    update();
}

void TrayIcon::notifyApproval(const QString& summary)
{
    if (m_icon && (!m_window->isActiveWindow() || !m_window->isVisible())) {
        m_icon->showMessage(tr("A payment needs your approval"), summary,
                            QSystemTrayIcon::Information, 30'000);
    }
}

void TrayIcon::notifyAnomaly(const QString& message)
{
    // Shown even with the window in front: an agent was just stopped.
    if (m_icon) {
        m_icon->showMessage(tr("An agent was paused"), message, QSystemTrayIcon::Warning, 60'000);
    }
}

void TrayIcon::update()
{
    m_proxyLine->setText(m_listening ? tr("Proxy on 127.0.0.1:%1").arg(m_port)
                                     : tr("Proxy not running"));
    m_spentLine->setText(tr("Spent today: %1").arg(m_spent));
    m_pendingLine->setText(
        m_pending > 0 ? (m_pending == 1 ? tr("1 payment waiting for approval")
                                        : tr("%1 payments waiting for approval").arg(m_pending))
                      : tr("Nothing waiting for approval"));
    m_pendingLine->setEnabled(m_pending > 0);
    m_pauseAction->setText(m_paused ? tr("Resume spending") : tr("Pause all spending"));
    if (m_runningIcon.isNull()) {
        m_runningIcon = QIcon(QStringLiteral(":/icons/tray.svg"));
        m_pausedIcon = pausedIcon(m_runningIcon);
    }
    m_currentIcon = m_paused ? m_pausedIcon : m_runningIcon;
    if (m_icon) {
        m_icon->setIcon(m_currentIcon);
        m_icon->setToolTip(toolTip());
    }
}

} // namespace l402::ui
