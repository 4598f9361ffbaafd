#pragma once

#include "core/service/WalletService.h"

#include <QPointer>
#include <QWidget>

#include <optional>

class QCheckBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

namespace l402::ui {

// The Settings page: the proxy's settings (saved through the service, used from the next
// start), the local certificate authority, start at login, locking and the passphrase, and
// what this wallet is. Every wallet call goes through service::ask(); without a service (the
// wallet is locked) the controls that need it are disabled.
class SettingsPage : public QWidget {
    Q_OBJECT
public:
    SettingsPage(const QString& dataDir, bool demo, QWidget* parent = nullptr);

    void setService(service::WalletService* service);
    // Reloads the saved settings (keeping edits not saved yet) and the start-at-login state.
    void refresh();

Q_SIGNALS:
    // "Lock now": the main window stops the wallet's thread, which closes the database.
    void lockRequested();

protected:
    void changeEvent(QEvent* event) override;

private:
    QWidget* buildProxySection(QWidget* parent);
    QWidget* buildCaSection(QWidget* parent);
    QWidget* buildStartupSection(QWidget* parent);
    QWidget* buildSecuritySection(QWidget* parent);
    QWidget* buildAboutSection(QWidget* parent);

    service::WalletSettings formSettings() const;
    void applySettings(const service::WalletSettings& settings);
    void saveSettings();
    void exportCa();
    void writeCa(const QString& path);
    void confirmRegenerateCa();
    void regenerateCa();
    void toggleStartAtLogin(bool enabled);
    void openChangePassphraseDialog();
    void submitPassphrase(QByteArray passphrase);
    void updateEnabled();
    void showStatus(QLabel* label, const QString& text, bool error);
    void applyStatusColors();

    QString m_dataDir;
    bool m_demo = false;
    QPointer<service::WalletService> m_service;
    std::optional<service::WalletSettings> m_saved; // as last loaded or saved
    quint64 m_refreshGeneration = 0;
    bool m_saving = false;
    bool m_caBusy = false;
    bool m_passphraseBusy = false;

    QSpinBox* m_proxyPort = nullptr;
    QCheckBox* m_interceptHttps = nullptr;
    QPlainTextEdit* m_bypassHosts = nullptr;
    QSpinBox* m_approvalTimeout = nullptr;
    QPushButton* m_save = nullptr;
    QLabel* m_settingsStatus = nullptr;
    QPushButton* m_exportCa = nullptr;
    QPushButton* m_regenerateCa = nullptr;
    QLabel* m_caStatus = nullptr;
    QCheckBox* m_startAtLogin = nullptr;
    QLabel* m_startupStatus = nullptr;
    QPushButton* m_lockNow = nullptr;
    QPushButton* m_changePassphrase = nullptr;
    QLabel* m_securityStatus = nullptr;
    QPointer<QWidget> m_passphraseDialog;
};

} // namespace l402::ui
