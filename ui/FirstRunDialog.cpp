#include "ui/FirstRunDialog.h"

#include "core/crypto/SecureBytes.h"
#include "core/node/NodeSettings.h"
#include "core/policy/Agents.h"
#include "core/store/DataDirectory.h"
#include "ui/Widgets.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QRadioButton>
#include <QVBoxLayout>
#include <QWizardPage>

namespace l402::ui {
namespace {

QVBoxLayout* pageLayout(QWizardPage* page)
{
    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(24, 20, 24, 20);
    layout->setSpacing(10);
    return layout;
}

QLabel* paragraph(const QString& text, QWidget* parent)
{
    auto* label = new QLabel(text, parent);
    label->setWordWrap(true);
    return label;
}

// Sub-options sit under their radio button, indented like a tree.
QWidget* indented(QWidget* parent, QLayout* content)
{
    auto* holder = new QWidget(parent);
    auto* row = new QHBoxLayout(holder);
    row->setContentsMargins(24, 0, 0, 0);
    row->addLayout(content, 1);
    return holder;
}

} // namespace

FirstRunDialog::FirstRunDialog(QWidget* parent)
    : QWizard(parent)
{
    setObjectName(QStringLiteral("firstRunDialog"));
    setWindowTitle(tr("Welcome to L402 Wallet"));
    setOption(QWizard::NoBackButtonOnStartPage);
    setButtonText(QWizard::FinishButton, tr("Create wallet"));
    setPage(StoragePage, buildStoragePage());
    setPage(NodePage, buildNodePage());
    setPage(AgentPage, buildAgentPage());
    setStartId(StoragePage);
    setMinimumSize(620, 480);
    colourErrors();
}

FirstRunDialog::~FirstRunDialog()
{
    crypto::scrub(m_choices.passphrase);
}

QWizardPage* FirstRunDialog::buildStoragePage()
{
    auto* page = new QWizardPage(this);
    page->setObjectName(QStringLiteral("storagePage"));
    page->setTitle(tr("Secure storage"));
    auto* layout = pageLayout(page);
    layout->addWidget(paragraph(
        tr("Everything the wallet keeps (your node's credentials, the tokens agents buy, your "
           "spending rules and history) is encrypted with one key. Choose where that key "
           "lives."),
        page));

    m_storageKeychain =
        new QRadioButton(tr("Keep the wallet key in the system keychain (recommended)"), page);
    m_storageKeychain->setObjectName(QStringLiteral("storageKeychain"));
    m_storageKeychain->setChecked(true);
    layout->addWidget(m_storageKeychain);
    auto* keychainNote = new QVBoxLayout();
    keychainNote->addWidget(pageExplanation(
        tr("The wallet opens without a question once you are logged in to this computer."), page));
    layout->addWidget(indented(page, keychainNote));

    m_storagePassphrase = new QRadioButton(tr("Protect it with a passphrase"), page);
    m_storagePassphrase->setObjectName(QStringLiteral("storagePassphrase"));
    layout->addWidget(m_storagePassphrase);

    auto* passphraseColumn = new QVBoxLayout();
    passphraseColumn->addWidget(
        pageExplanation(tr("You type it to unlock the wallet. If you forget it, the wallet's "
                           "data cannot be opened again; the funds on your node are not "
                           "affected."),
                        page));
    auto* form = new QFormLayout();
    m_passphrase = new QLineEdit(page);
    m_passphrase->setObjectName(QStringLiteral("passphrase"));
    m_passphrase->setEchoMode(QLineEdit::Password);
    m_passphrase->setPlaceholderText(tr("at least %1 characters").arg(kMinimumPassphraseLength));
    m_confirmPassphrase = new QLineEdit(page);
    m_confirmPassphrase->setObjectName(QStringLiteral("confirmPassphrase"));
    m_confirmPassphrase->setEchoMode(QLineEdit::Password);
    form->addRow(tr("Passphrase:"), m_passphrase);
    form->addRow(tr("Confirm:"), m_confirmPassphrase);
    passphraseColumn->addLayout(form);
    layout->addWidget(indented(page, passphraseColumn));

    auto* group = new QButtonGroup(page);
    group->addButton(m_storageKeychain);
    group->addButton(m_storagePassphrase);

    m_storageError = statusLabel(QStringLiteral("storageError"), page);
    layout->addWidget(m_storageError);
    layout->addStretch(1);

    const auto update = [this] {
        const bool passphrase = m_storagePassphrase->isChecked();
        m_passphrase->setEnabled(passphrase);
        m_confirmPassphrase->setEnabled(passphrase);
        m_storageError->hide();
    };
    connect(m_storagePassphrase, &QRadioButton::toggled, this, update);
    connect(m_storagePassphrase, &QRadioButton::clicked, this,
            [this] { m_passphrase->setFocus(); });
    connect(m_passphrase, &QLineEdit::textChanged, m_storageError, &QLabel::hide);
    connect(m_confirmPassphrase, &QLineEdit::textChanged, m_storageError, &QLabel::hide);
    update();
    return page;
}

QWizardPage* FirstRunDialog::buildNodePage()
{
    auto* page = new QWizardPage(this);
    page->setObjectName(QStringLiteral("nodePage"));
    page->setTitle(tr("Lightning node"));
    auto* layout = pageLayout(page);
    layout->addWidget(
        paragraph(tr("The wallet pays through your own Lightning node. You can try it first "
                     "with simulated funds and connect a node whenever you are ready."),
                  page));

    m_nodeDemo = new QRadioButton(tr("Try the demo (simulated funds)"), page);
    m_nodeDemo->setObjectName(QStringLiteral("nodeDemo"));
    m_nodeDemo->setChecked(true);
    layout->addWidget(m_nodeDemo);
    auto* demoNote = new QVBoxLayout();
    demoNote->addWidget(pageExplanation(tr("Nothing real is spent."), page));
    layout->addWidget(indented(page, demoNote));

    m_nodeConnect = new QRadioButton(tr("Connect my node now"), page);
    m_nodeConnect->setObjectName(QStringLiteral("nodeConnect"));
    layout->addWidget(m_nodeConnect);
    auto* connectColumn = new QVBoxLayout();
    m_nodeUri = new QLineEdit(page);
    m_nodeUri->setObjectName(QStringLiteral("nodeUri"));
    // The URI carries the node's credential: shown while typed, masked afterwards.
    m_nodeUri->setEchoMode(QLineEdit::PasswordEchoOnEdit);
    m_nodeUri->setPlaceholderText(tr("lndconnect://… or nostr+walletconnect://…"));
    m_nodeUri->setClearButtonEnabled(true);
    connectColumn->addWidget(m_nodeUri);
    connectColumn->addWidget(pageExplanation(
        tr("Paste the connection URI from LND (lndconnect) or from a Nostr Wallet Connect "
           "wallet. Core Lightning, LNbits and phoenixd are set up on the Node page."),
        page));
    layout->addWidget(indented(page, connectColumn));

    m_nodeLater = new QRadioButton(tr("Later (set it up on the Node page)"), page);
    m_nodeLater->setObjectName(QStringLiteral("nodeLater"));
    layout->addWidget(m_nodeLater);

    auto* group = new QButtonGroup(page);
    group->addButton(m_nodeDemo);
    group->addButton(m_nodeConnect);
    group->addButton(m_nodeLater);

    m_nodeError = statusLabel(QStringLiteral("nodeError"), page);
    layout->addWidget(m_nodeError);
    layout->addStretch(1);

    const auto update = [this] {
        m_nodeUri->setEnabled(m_nodeConnect->isChecked());
        m_nodeError->hide();
    };
    connect(m_nodeConnect, &QRadioButton::toggled, this, update);
    connect(m_nodeConnect, &QRadioButton::clicked, this, [this] { m_nodeUri->setFocus(); });
    connect(m_nodeUri, &QLineEdit::textChanged, m_nodeError, &QLabel::hide);
    update();
    return page;
}

QWizardPage* FirstRunDialog::buildAgentPage()
{
    auto* page = new QWizardPage(this);
    page->setObjectName(QStringLiteral("agentPage"));
    page->setTitle(tr("First agent"));
    auto* layout = pageLayout(page);
    layout->addWidget(
        paragraph(tr("Each agent gets its own name and secret for the wallet's local proxy, so "
                     "you can see, limit and revoke its spending on its own."),
                  page));

    auto* form = new QFormLayout();
    m_agentName = new QLineEdit(QStringLiteral("my-agent"), page);
    m_agentName->setObjectName(QStringLiteral("agentName"));
    m_agentName->setMaxLength(64);
    form->addRow(tr("Name:"), m_agentName);
    layout->addLayout(form);

    m_skipAgent = new QCheckBox(tr("Skip (add agents later on the Agents page)"), page);
    m_skipAgent->setObjectName(QStringLiteral("skipAgent"));
    layout->addWidget(m_skipAgent);

    auto* once = paragraph(tr("After setup, the wallet shows this agent's secret and the proxy "
                              "snippet for its environment once. Copy them then: the secret is "
                              "not shown again."),
                           page);
    once->setObjectName(QStringLiteral("agentOnceNote"));
    layout->addWidget(once);

    m_agentError = statusLabel(QStringLiteral("agentError"), page);
    layout->addWidget(m_agentError);
    layout->addStretch(1);

    connect(m_skipAgent, &QCheckBox::toggled, this, [this, once](bool skip) {
        m_agentName->setEnabled(!skip);
        once->setVisible(!skip);
        m_agentError->hide();
    });
    connect(m_agentName, &QLineEdit::textChanged, m_agentError, &QLabel::hide);
    return page;
}

bool FirstRunDialog::validateCurrentPage()
{
    bool valid = true;
    switch (currentId()) {
    case StoragePage:
        valid = validateStorage();
        break;
    case NodePage:
        valid = validateNode();
        break;
    case AgentPage:
        valid = validateAgent();
        break;
    default:
        break;
    }
    return valid && QWizard::validateCurrentPage();
}

bool FirstRunDialog::validateStorage()
{
    if (!m_storagePassphrase->isChecked()) {
        return true;
    }
    const PassphraseProblem problem =
        passphraseProblem(m_passphrase->text(), m_confirmPassphrase->text());
    if (problem == PassphraseProblem::None) {
        return true;
    }
    showError(m_storageError, passphraseProblemText(problem));
    // The field to fix: a short passphrase itself, a mismatch in its confirmation.
    (problem == PassphraseProblem::TooShort ? m_passphrase : m_confirmPassphrase)->setFocus();
    return false;
}

bool FirstRunDialog::validateNode()
{
    if (!m_nodeConnect->isChecked()) {
        return true;
    }
    const QString uri = m_nodeUri->text().trimmed();
    if (uri.isEmpty()) {
        showError(m_nodeError, tr("Paste the connection URI from your node, or choose Later."));
        m_nodeUri->setFocus();
        return false;
    }
    if (!uri.startsWith(QLatin1String("lndconnect://")) &&
        !uri.startsWith(QLatin1String("nostr+walletconnect:"), Qt::CaseInsensitive)) {
        showError(m_nodeError, tr("This is not a connection URI. It starts with lndconnect:// "
                                  "or nostr+walletconnect://."));
        m_nodeUri->setFocus();
        return false;
    }
    // Parsing only: nothing is read from disk or the network here.
    const auto settings = node::settingsFromArguments({QStringLiteral("--uri"), uri});
    if (!settings) {
        showError(m_nodeError, settings.error().message);
        m_nodeUri->setFocus();
        return false;
    }
    return true;
}

bool FirstRunDialog::validateAgent()
{
    if (m_skipAgent->isChecked()) {
        return true;
    }
    if (!policy::AgentBook::validName(m_agentName->text().trimmed())) {
        showError(m_agentError, tr("An agent name is 1 to 64 letters, digits, “.”, “_” or “-”, "
                                   "such as my-agent."));
        m_agentName->setFocus();
        return false;
    }
    return true;
}

FirstRunDialog::Choices FirstRunDialog::collect() const
{
    Choices choices;
    choices.useKeychain = !m_storagePassphrase->isChecked();
    if (!choices.useKeychain) {
        choices.passphrase = m_passphrase->text().toUtf8();
    }
    choices.demo = m_nodeDemo->isChecked();
    if (m_nodeConnect->isChecked()) {
        choices.nodeArguments = {QStringLiteral("--uri"), m_nodeUri->text().trimmed()};
    }
    if (!m_skipAgent->isChecked()) {
        choices.agentName = m_agentName->text().trimmed();
    }
    return choices;
}

FirstRunDialog::Choices FirstRunDialog::choices() const
{
    return m_finished ? m_choices : collect();
}

bool FirstRunDialog::needed(const QString& dataDir)
{
    return !QFileInfo::exists(store::DataDirectory::databasePath(dataDir));
}

void FirstRunDialog::done(int result)
{
    if (result == QDialog::Accepted) {
        if (!validateCurrentPage()) {
            return;
        }
        crypto::scrub(m_choices.passphrase);
        m_choices = collect();
        m_finished = true;
    }
    QWizard::done(result);
    // The secrets live on in choices() only, not in the fields.
    m_passphrase->clear();
    m_confirmPassphrase->clear();
    m_nodeUri->clear();
}

void FirstRunDialog::showError(QLabel* label, const QString& text)
{
    label->setText(text);
    label->show();
}

void FirstRunDialog::colourErrors()
{
    for (QLabel* label : {m_storageError, m_nodeError, m_agentError}) {
        label->setPalette(QPalette());
        QPalette palette;
        palette.setColor(QPalette::WindowText, errorColour(label->palette()));
        label->setPalette(palette);
    }
}

void FirstRunDialog::changeEvent(QEvent* event)
{
    QWizard::changeEvent(event);
    restyleOnPaletteChange(this, event, [this] { colourErrors(); });
}

} // namespace l402::ui
