#pragma once

#include <QObject>

class QSystemTrayIcon;
class QMenu;

namespace l402::ui {

class MainWindow;

// The tray icon: shows the window, says whether the wallet is in demo mode, quits.
// Absent when the desktop has no tray (then the window is the only surface).
class TrayIcon : public QObject {
    Q_OBJECT
public:
    TrayIcon(MainWindow* window, bool demo, QObject* parent = nullptr);
    ~TrayIcon() override;

    bool isVisible() const;
    QMenu* menu() const { return m_menu; }

private:
    MainWindow* m_window;
    QMenu* m_menu = nullptr;
    QSystemTrayIcon* m_icon = nullptr;
};

} // namespace l402::ui
