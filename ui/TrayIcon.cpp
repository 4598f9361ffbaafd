#include "ui/TrayIcon.h"

#include "ui/MainWindow.h"

#include <QApplication>
#include <QIcon>
#include <QMenu>
#include <QSystemTrayIcon>

namespace l402::ui {

TrayIcon::TrayIcon(MainWindow* window, bool demo, QObject* parent)
    : QObject(parent)
    , m_window(window)
{
    m_menu = new QMenu();
    QAction* status = m_menu->addAction(demo ? tr("Demo — simulated funds") : tr("L402 Wallet"));
    status->setEnabled(false);
    m_menu->addSeparator();
    connect(m_menu->addAction(tr("Open L402 Wallet")), &QAction::triggered, m_window, [this] {
        m_window->showNormal();
        m_window->raise();
        m_window->activateWindow();
    });
    connect(m_menu->addAction(tr("Approvals")), &QAction::triggered, m_window, [this] {
        m_window->showPage(MainWindow::Page::Approvals);
        m_window->showNormal();
        m_window->raise();
    });
    m_menu->addSeparator();
    connect(m_menu->addAction(tr("Quit")), &QAction::triggered, qApp, &QApplication::quit);

    if (QSystemTrayIcon::isSystemTrayAvailable()) {
        m_icon = new QSystemTrayIcon(QIcon(QStringLiteral(":/icons/tray.svg")), this);
        m_icon->setToolTip(demo ? tr("L402 Wallet (demo)") : tr("L402 Wallet"));
        m_icon->setContextMenu(m_menu);
        connect(m_icon, &QSystemTrayIcon::activated, m_window,
                [this](QSystemTrayIcon::ActivationReason reason) {
                    if (reason == QSystemTrayIcon::Trigger) {
                        m_window->setVisible(!m_window->isVisible());
                    }
                });
        m_icon->show();
    }
}

TrayIcon::~TrayIcon()
{
    delete m_menu;
}

bool TrayIcon::isVisible() const
{
    return m_icon && m_icon->isVisible();
}

} // namespace l402::ui
