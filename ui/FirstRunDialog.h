#pragma once

#include <QByteArray>
#include <QStringList>
#include <QWizard>

class QCheckBox;
class QLabel;
class QLineEdit;
class QRadioButton;

namespace l402::ui {

// The first start in a data folder without a wallet: where the wallet key lives (keychain or
// passphrase), which node pays (the demo, a connection URI, or later), and a first agent.
// It only asks; the caller creates the wallet from choices(). Each step checks its input when
// the user goes on, with a message next to the field, and nothing here blocks.
class FirstRunDialog : public QWizard {
    Q_OBJECT
public:
    struct Choices {
        bool useKeychain = true;
        QByteArray passphrase; // UTF-8, only when !useKeychain; scrub it once used
        bool demo = false;
        QStringList nodeArguments; // `node set` arguments ({"--uri", uri}); empty: none
        QString agentName;         // empty: none
    };

    enum PageId { StoragePage, NodePage, AgentPage };

    explicit FirstRunDialog(QWidget* parent = nullptr);
    ~FirstRunDialog() override;

    // What the user chose; after Finish, what was chosen then (the fields are cleared).
    Choices choices() const;
    // True while the data folder holds no wallet database yet (the file is not opened).
    static bool needed(const QString& dataDir);

    bool validateCurrentPage() override;

protected:
    void done(int result) override;
    void changeEvent(QEvent* event) override;

private:
    QWizardPage* buildStoragePage();
    QWizardPage* buildNodePage();
    QWizardPage* buildAgentPage();
    bool validateStorage();
    bool validateNode();
    bool validateAgent();
    Choices collect() const;
    void showError(QLabel* label, const QString& text);
    void colourErrors();

    QRadioButton* m_storageKeychain = nullptr;
    QRadioButton* m_storagePassphrase = nullptr;
    QLineEdit* m_passphrase = nullptr;
    QLineEdit* m_confirmPassphrase = nullptr;
    QLabel* m_storageError = nullptr;
    QRadioButton* m_nodeDemo = nullptr;
    QRadioButton* m_nodeConnect = nullptr;
    QRadioButton* m_nodeLater = nullptr;
    QLineEdit* m_nodeUri = nullptr;
    QLabel* m_nodeError = nullptr;
    QLineEdit* m_agentName = nullptr;
    QCheckBox* m_skipAgent = nullptr;
    QLabel* m_agentError = nullptr;

    bool m_finished = false;
    Choices m_choices; // set on Finish
};

} // namespace l402::ui
