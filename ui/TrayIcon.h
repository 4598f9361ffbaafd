#pragma once

#include <QIcon>
#include <QObject>

class QAction;
class QSystemTrayIcon;
class QMenu;

namespace l402::ui {

class MainWindow;

// The tray icon: whether the proxy is up, what was spent today and how many payments wait for
// an answer, in its tooltip and menu; a notification when a payment needs approval (clicking
// it opens the prompt). Absent when the desktop has no tray (the window is then the only
// surface).
class TrayIcon : public QObject {
    Q_OBJECT
public:
    TrayIcon(MainWindow* window, bool demo, QObject* parent = nullptr);
    ~TrayIcon() override;

    bool isVisible() const;
    QMenu* menu() const { return m_menu; }
    QString toolTip() const;

    void setProxyState(bool listening, quint16 port);
    void setSpentToday(const QString& amount);
    void setPendingApprovals(int count);
    // The kill switch's state, from the window: the icon carries a red pause badge and the
    // menu's action turns into "Resume spending".
    void setSpendingPaused(bool paused);
    bool showsPaused() const { return m_paused; }
    QAction* pauseAction() const { return m_pauseAction; }
    const QIcon& currentIcon() const { return m_currentIcon; }
    // A payment waits for an answer: a notification when the window is not in front.
    void notifyApproval(const QString& summary);
    // A desktop notification (freedesktop, through Qt) that the anomaly alert paused an agent.
    void notifyAnomaly(const QString& message);

private:
    void update();

    MainWindow* m_window;
    bool m_demo = false;
    QMenu* m_menu = nullptr;
    QSystemTrayIcon* m_icon = nullptr;
    QAction* m_proxyLine = nullptr;
    QAction* m_spentLine = nullptr;
    QAction* m_pendingLine = nullptr;
    QAction* m_pauseAction = nullptr;
    QIcon m_currentIcon;
    QIcon m_runningIcon;
    QIcon m_pausedIcon;
    bool m_paused = false;
    bool m_listening = false;
    quint16 m_port = 0;
    QString m_spent;
    int m_pending = 0;
};

} // namespace l402::ui
