#pragma once

#include "core/node/NodeSettings.h"
#include "core/service/WalletService.h"

#include <QPointer>
#include <QStringList>
#include <QTimer>
#include <QWidget>

#include <optional>

class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QStackedWidget;

namespace l402::ui {

// The Lightning node the wallet pays through: the current one (never its secret) and a form
// to test and save another. The form builds the same arguments as `l402-wallet node set` and
// checks them with the same code (node::settingsFromArguments), so both accept and refuse
// alike. Testing runs on the wallet's thread; a saved node is used after a restart.
class NodePage : public QWidget {
    Q_OBJECT
public:
    explicit NodePage(QWidget* parent = nullptr);

    void setService(service::WalletService* service);
    void refresh();
    // Under --demo payments use simulated funds and a real node cannot be saved.
    void setDemo(bool demo);

    // The `node set` arguments the form gives now, e.g. {"lnd", "--url", URL, "--macaroon",
    // FILE}, {"--uri", "lndconnect://..."} or {"nwc", "--uri", URI}. Empty fields are left out.
    QStringList arguments() const;
    // Why the form cannot be used yet, in words; empty when the settings are valid.
    QString errorText() const { return m_errorText; }

protected:
    void changeEvent(QEvent* event) override;

private:
    enum class Backend { Lnd, Cln, Lnbits, Phoenixd, Nwc };

    QWidget* buildCurrent();
    QWidget* buildUriRow();
    QWidget* buildLndForm();
    QWidget* buildClnForm();
    QWidget* buildLnbitsForm();
    QWidget* buildPhoenixdForm();
    QWidget* buildNwcForm();
    QLineEdit* fileField(QFormLayout* form, const QString& label, const QString& objectName,
                         const QString& placeholder, const QString& title, const QString& filter,
                         const QString& startFolder);
    QLineEdit* textField(QFormLayout* form, const QString& label, const QString& objectName,
                         const QString& placeholder, bool secret);

    void fitForms();
    Backend backend() const;
    void selectBackend(Backend backend);
    void useUri();
    void clearLndConnect();
    void formChanged();
    void validate();
    QString missingText() const;
    void updateButtons();
    void testConnection();
    void showTestResult(const Result<service::NodeTestResult>& result);
    void save();
    void showCurrent(const Result<service::NodeView>& node);

    QPointer<service::WalletService> m_service;
    bool m_demo = false;
    bool m_testing = false;
    bool m_saving = false;
    bool m_formTouched = false;
    bool m_filling = false; // the form is being filled in from the current node
    quint64 m_testGeneration = 0;
    QTimer m_testWatchdog;
    std::optional<node::NodeSettings> m_settings; // valid settings from the form
    QString m_errorText;
    bool m_incomplete = true; // the error is a field still to fill in, not a mistake
    QString m_lndConnectUri;  // a pasted lndconnect:// URI, used instead of the LND fields

    QLabel* m_currentTitle = nullptr;
    QFormLayout* m_currentDetails = nullptr;
    QLabel* m_demoNote = nullptr;
    QLineEdit* m_uri = nullptr;
    QPushButton* m_useUri = nullptr;
    QLabel* m_uriError = nullptr;
    QComboBox* m_backend = nullptr;
    QStackedWidget* m_forms = nullptr;

    QWidget* m_lndFields = nullptr;
    QWidget* m_lndConnectNote = nullptr;
    QLabel* m_lndConnectText = nullptr;
    QLineEdit* m_lndUrl = nullptr;
    QLineEdit* m_lndMacaroon = nullptr;
    QLineEdit* m_lndCert = nullptr;
    QLineEdit* m_clnUrl = nullptr;
    QLineEdit* m_clnRune = nullptr;
    QLineEdit* m_clnCert = nullptr;
    QLineEdit* m_lnbitsUrl = nullptr;
    QLineEdit* m_lnbitsKey = nullptr;
    QLineEdit* m_lnbitsCert = nullptr;
    QComboBox* m_lnbitsNetwork = nullptr;
    QLineEdit* m_phoenixdUrl = nullptr;
    QLineEdit* m_phoenixdPassword = nullptr;
    QLineEdit* m_nwcUri = nullptr;

    QLabel* m_error = nullptr;
    QPushButton* m_test = nullptr;
    QPushButton* m_save = nullptr;
    QProgressBar* m_busy = nullptr;
    QLabel* m_testResult = nullptr;
    QLabel* m_saved = nullptr;
};

} // namespace l402::ui
