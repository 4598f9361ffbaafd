#pragma once

#include "app/WalletHost.h"

#include <QObject>
#include <QPointer>
#include <QThread>

#include <optional>

namespace l402::ui {
class MainWindow;
class OwnerConfirmDialog;
class TrayIcon;
} // namespace l402::ui

namespace l402::app {

// The window's wallet: a WalletHost on a thread of its own (the GUI thread never touches the
// database or waits for Argon2id or the keychain), wired to the window and the tray. Asks for
// the passphrase when the wallet has one, locks (the host and its keys are dropped) and
// unlocks again. First-run choices (node, first agent) are applied once the wallet is open.
class GuiSession : public QObject {
    Q_OBJECT
public:
    struct FirstRun {
        QStringList nodeArguments; // `node set` arguments, empty: none
        QString agentName;         // empty: none
    };

    GuiSession(ui::MainWindow& window, ui::TrayIcon* tray, WalletHost::Options options,
               QObject* parent = nullptr);
    ~GuiSession() override;

    void start(std::optional<crypto::SecureBytes> passphrase);
    void lock();
    bool isUnlocked() const { return m_service != nullptr; }
    void setFirstRun(FirstRun firstRun) { m_firstRun = std::move(firstRun); }
    // Tests answer the passphrase question without a dialog.
    // The confirmation owner commands from other processes wait for (tests click it).
    ui::OwnerConfirmDialog* ownerConfirmDialog() const { return m_ownerConfirm; }
    void setPassphraseSource(std::function<std::optional<QByteArray>(bool wrong)> source)
    {
        m_passphraseSource = std::move(source);
    }

Q_SIGNALS:
    void serviceReady(l402::service::WalletService* service);
    void locked();

private:
    void stopHost();
    void applyFirstRun(service::WalletService* service);
    void askPassphrase(bool wrong);

    ui::MainWindow& m_window;
    QPointer<ui::TrayIcon> m_tray;
    WalletHost::Options m_options;
    QThread m_thread;
    QPointer<WalletHost> m_host;
    ui::OwnerConfirmDialog* m_ownerConfirm = nullptr; // child of the window
    QPointer<service::WalletService> m_service;
    std::optional<FirstRun> m_firstRun;
    std::function<std::optional<QByteArray>(bool wrong)> m_passphraseSource;
};

} // namespace l402::app
