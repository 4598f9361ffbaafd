#include "ui/NodePage.h"

#include "ui/Widgets.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QFrame>
#include <QHBoxLayout>
#include <QJsonValue>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QStackedWidget>
#include <QTimer>
#include <QUrl>
#include <QVBoxLayout>

namespace l402::ui {
namespace {

using namespace std::chrono_literals;

// The node's own calls time out well before this; it only guards against an answer that
// never comes, so the button cannot stay disabled for good.
constexpr auto kTestWatchdog = 90s;

// The node's messages can be selected, to copy an error or an address.
QLabel* selectableMessage(const QString& objectName, QWidget* parent)
{
    QLabel* label = messageLabel(objectName, parent);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

QLabel* sectionHeading(const QString& text, QWidget* parent)
{
    auto* label = new QLabel(text, parent);
    QFont font = label->font();
    font.setPointSizeF(font.pointSizeF() * 1.15);
    font.setWeight(QFont::DemiBold);
    label->setFont(font);
    return label;
}

QString backendWords(const QString& backend)
{
    if (backend == QLatin1String("lnd")) {
        return QStringLiteral("LND");
    }
    if (backend == QLatin1String("cln")) {
        return QStringLiteral("Core Lightning");
    }
    if (backend == QLatin1String("lnbits")) {
        return QStringLiteral("LNbits");
    }
    if (backend == QLatin1String("phoenixd")) {
        return QStringLiteral("phoenixd");
    }
    if (backend == QLatin1String("nwc")) {
        return QStringLiteral("Nostr Wallet Connect");
    }
    if (backend == QLatin1String("demo")) {
        return NodePage::tr("Demo node (simulated funds)");
    }
    return backend;
}

QString networkWords(const QString& network)
{
    return network == QLatin1String("bitcoin") ? NodePage::tr("mainnet") : network;
}

// settingsFromArguments() speaks in `node set` options; the form has fields instead.
QString plainWords(const QString& message)
{
    const std::pair<QString, QString> fields[] = {
        {QStringLiteral("--url"), NodePage::tr("the URL")},
        {QStringLiteral("--macaroon"), NodePage::tr("the macaroon file")},
        {QStringLiteral("--cert"), NodePage::tr("the certificate file")},
        {QStringLiteral("--rune"), NodePage::tr("the rune")},
        {QStringLiteral("--admin-key"), NodePage::tr("the admin key")},
        {QStringLiteral("--network"), NodePage::tr("the network")},
        {QStringLiteral("--password"), NodePage::tr("the password")},
        {QStringLiteral("--uri"), NodePage::tr("the connection URI")},
    };
    QString text = message;
    for (const auto& [option, words] : fields) {
        if (text.startsWith(QString(option + QLatin1Char(' ')))) {
            QString capitalised = words;
            capitalised[0] = capitalised[0].toUpper();
            text.replace(0, option.size(), capitalised);
        }
        text.replace(option, words);
    }
    return text;
}

// "~/.lnd/tls.cert" as a shell would read it.
QString expandHome(const QString& path)
{
    if (path == QLatin1String("~")) {
        return QDir::homePath();
    }
    if (path.startsWith(QLatin1String("~/"))) {
        return QString(QDir::homePath() + path.mid(1));
    }
    return path;
}

void addOption(QStringList& arguments, const QString& option, const QString& value)
{
    if (!value.isEmpty()) {
        arguments << option << value;
    }
}

QString firstExisting(const QStringList& folders)
{
    for (const QString& folder : folders) {
        if (QFileInfo(folder).isDir()) {
            return folder;
        }
    }
    return QDir::homePath();
}

} // namespace

NodePage::NodePage(QWidget* parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("nodePage"));
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto* scroll = new QScrollArea(this);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidgetResizable(true);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    outer->addWidget(scroll);

    auto* content = new QWidget(scroll);
    auto* layout = new QVBoxLayout(content);
    layout->setContentsMargins(24, 20, 24, 20);
    layout->setSpacing(10);
    layout->addWidget(pageHeading(tr("Node"), content));
    layout->addWidget(pageExplanation(
        tr("Payments go through your own Lightning node. Its settings are kept in the wallet's "
           "encrypted database, and its secret is never shown again."),
        content));

    m_demoNote = selectableMessage(QStringLiteral("nodeDemoNote"), content);
    layout->addWidget(m_demoNote);

    layout->addWidget(buildCurrent());

    layout->addSpacing(8);
    layout->addWidget(sectionHeading(tr("Connect a node"), content));
    layout->addWidget(buildUriRow());

    auto* backendForm = new QFormLayout();
    backendForm->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_backend = new QComboBox(content);
    m_backend->setObjectName(QStringLiteral("nodeBackend"));
    m_backend->addItem(QStringLiteral("LND"), QStringLiteral("lnd"));
    m_backend->addItem(QStringLiteral("Core Lightning"), QStringLiteral("cln"));
    m_backend->addItem(QStringLiteral("LNbits"), QStringLiteral("lnbits"));
    m_backend->addItem(QStringLiteral("phoenixd"), QStringLiteral("phoenixd"));
    m_backend->addItem(QStringLiteral("Nostr Wallet Connect"), QStringLiteral("nwc"));
    backendForm->addRow(tr("Backend:"), m_backend);
    layout->addLayout(backendForm);

    m_forms = new QStackedWidget(content);
    m_forms->setObjectName(QStringLiteral("nodeForms"));
    m_forms->addWidget(buildLndForm());
    m_forms->addWidget(buildClnForm());
    m_forms->addWidget(buildLnbitsForm());
    m_forms->addWidget(buildPhoenixdForm());
    m_forms->addWidget(buildNwcForm());
    layout->addWidget(m_forms);

    m_error = selectableMessage(QStringLiteral("nodeError"), content);
    layout->addWidget(m_error);

    auto* buttons = new QHBoxLayout();
    m_test = new QPushButton(tr("Test connection"), content);
    m_test->setObjectName(QStringLiteral("testNode"));
    m_busy = new QProgressBar(content);
    m_busy->setObjectName(QStringLiteral("nodeTestBusy"));
    m_busy->setRange(0, 0); // indeterminate: the test takes as long as the node takes
    m_busy->setTextVisible(false);
    m_busy->setFixedSize(120, 8);
    m_busy->hide();
    m_save = new QPushButton(tr("Save"), content);
    m_save->setObjectName(QStringLiteral("saveNode"));
    buttons->addWidget(m_test);
    buttons->addWidget(m_busy);
    buttons->addStretch(1);
    buttons->addWidget(m_save);
    layout->addLayout(buttons);

    m_testResult = selectableMessage(QStringLiteral("nodeTestResult"), content);
    layout->addWidget(m_testResult);
    m_saved = selectableMessage(QStringLiteral("nodeSaved"), content);
    layout->addWidget(m_saved);
    layout->addStretch(1);
    scroll->setWidget(content);

    connect(m_forms, &QStackedWidget::currentChanged, this, &NodePage::fitForms);
    connect(m_backend, &QComboBox::currentIndexChanged, this, [this](int index) {
        m_forms->setCurrentIndex(index);
        formChanged();
    });
    for (QLineEdit* edit :
         {m_lndUrl, m_lndMacaroon, m_lndCert, m_clnUrl, m_clnRune, m_clnCert, m_lnbitsUrl,
          m_lnbitsKey, m_lnbitsCert, m_phoenixdUrl, m_phoenixdPassword, m_nwcUri}) {
        connect(edit, &QLineEdit::textChanged, this, &NodePage::formChanged);
    }
    connect(m_lnbitsNetwork, &QComboBox::currentIndexChanged, this, &NodePage::formChanged);
    connect(m_test, &QPushButton::clicked, this, &NodePage::testConnection);
    connect(m_save, &QPushButton::clicked, this, &NodePage::save);

    m_testWatchdog.setSingleShot(true);
    m_testWatchdog.setInterval(kTestWatchdog);
    connect(&m_testWatchdog, &QTimer::timeout, this, [this] {
        if (!m_testing) {
            return;
        }
        ++m_testGeneration; // a late answer is no longer shown
        m_testing = false;
        showMessage(m_testResult,
                    tr("The node did not answer in time. Check the address and "
                       "that the node is running."),
                    Tone::Error);
        updateButtons();
    });

    fitForms();
    validate();
}

void NodePage::fitForms()
{
    // Only the shown form takes room, so the buttons sit right under it.
    for (int i = 0; i < m_forms->count(); ++i) {
        const auto policy =
            i == m_forms->currentIndex() ? QSizePolicy::Preferred : QSizePolicy::Ignored;
        m_forms->widget(i)->setSizePolicy(policy, policy);
    }
    m_forms->adjustSize();
}

QWidget* NodePage::buildCurrent()
{
    auto* box = new QFrame(this);
    box->setObjectName(QStringLiteral("nodeCurrent"));
    box->setFrameShape(QFrame::StyledPanel);
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(14, 10, 14, 12);
    layout->setSpacing(6);
    auto* caption = pageExplanation(tr("Current node"), box);
    layout->addWidget(caption);
    m_currentTitle = sectionHeading(tr("Not loaded yet"), box);
    m_currentTitle->setObjectName(QStringLiteral("nodeCurrentBackend"));
    layout->addWidget(m_currentTitle);
    m_currentDetails = new QFormLayout();
    m_currentDetails->setLabelAlignment(Qt::AlignRight | Qt::AlignTop);
    m_currentDetails->setVerticalSpacing(4);
    layout->addLayout(m_currentDetails);
    return box;
}

QWidget* NodePage::buildUriRow()
{
    auto* box = new QWidget(this);
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(new QLabel(tr("Paste a connection URI:"), box));
    auto* row = new QHBoxLayout();
    m_uri = new QLineEdit(box);
    m_uri->setObjectName(QStringLiteral("nodeUri"));
    m_uri->setPlaceholderText(tr("lndconnect://… or nostr+walletconnect://…"));
    m_uri->setClearButtonEnabled(true);
    m_useUri = new QPushButton(tr("Use"), box);
    m_useUri->setObjectName(QStringLiteral("useUri"));
    m_useUri->setEnabled(false);
    row->addWidget(m_uri, 1);
    row->addWidget(m_useUri);
    layout->addLayout(row);
    m_uriError = selectableMessage(QStringLiteral("nodeUriError"), box);
    layout->addWidget(m_uriError);
    layout->addWidget(pageExplanation(tr("Or choose the backend and fill in its details."), box));

    connect(m_uri, &QLineEdit::textChanged, this, [this](const QString& text) {
        m_useUri->setEnabled(!text.trimmed().isEmpty());
        showMessage(m_uriError, QString(), Tone::Muted);
    });
    connect(m_uri, &QLineEdit::returnPressed, this, &NodePage::useUri);
    connect(m_useUri, &QPushButton::clicked, this, &NodePage::useUri);
    return box;
}

QLineEdit* NodePage::textField(QFormLayout* form, const QString& label, const QString& objectName,
                               const QString& placeholder, bool secret)
{
    auto* edit = new QLineEdit(form->parentWidget());
    edit->setObjectName(objectName);
    edit->setPlaceholderText(placeholder);
    if (secret) {
        edit->setEchoMode(QLineEdit::Password);
        edit->setInputMethodHints(Qt::ImhHiddenText | Qt::ImhNoPredictiveText |
                                  Qt::ImhNoAutoUppercase);
    }
    form->addRow(label, edit);
    return edit;
}

QLineEdit* NodePage::fileField(QFormLayout* form, const QString& label, const QString& objectName,
                               const QString& placeholder, const QString& title,
                               const QString& filter, const QString& startFolder)
{
    QWidget* parent = form->parentWidget();
    auto* row = new QWidget(parent);
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* edit = new QLineEdit(row);
    edit->setObjectName(objectName);
    edit->setPlaceholderText(placeholder);
    edit->setClearButtonEnabled(true);
    auto* choose = new QPushButton(tr("Choose…"), row);
    choose->setObjectName(objectName + QStringLiteral("Choose"));
    layout->addWidget(edit, 1);
    layout->addWidget(choose);
    form->addRow(label, row);

    // Opened without blocking; the chosen path fills the field.
    connect(choose, &QPushButton::clicked, this, [this, edit, title, filter, startFolder] {
        const QString current = expandHome(edit->text().trimmed());
        const QString folder = current.isEmpty() ? startFolder : QFileInfo(current).absolutePath();
        auto* dialog = new QFileDialog(this, title, folder, filter);
        dialog->setObjectName(QStringLiteral("nodeFileDialog"));
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->setFileMode(QFileDialog::ExistingFile);
        dialog->setFilter(dialog->filter() | QDir::Hidden); // ~/.lnd, ~/.lightning
        connect(dialog, &QFileDialog::fileSelected, edit,
                [edit](const QString& path) { edit->setText(QDir::toNativeSeparators(path)); });
        dialog->open();
    });
    return edit;
}

QWidget* NodePage::buildLndForm()
{
    auto* page = new QWidget(this);
    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 0, 0, 0);

    // A pasted lndconnect URI carries the address, the macaroon and the certificate.
    m_lndConnectNote = new QWidget(page);
    auto* noteRow = new QHBoxLayout(m_lndConnectNote);
    noteRow->setContentsMargins(0, 0, 0, 0);
    m_lndConnectText = new QLabel(m_lndConnectNote);
    m_lndConnectText->setObjectName(QStringLiteral("lndConnectNote"));
    m_lndConnectText->setWordWrap(true);
    auto* clear = new QPushButton(tr("Enter details instead"), m_lndConnectNote);
    clear->setObjectName(QStringLiteral("clearUri"));
    noteRow->addWidget(m_lndConnectText, 1);
    noteRow->addWidget(clear);
    m_lndConnectNote->hide();
    layout->addWidget(m_lndConnectNote);
    connect(clear, &QPushButton::clicked, this, &NodePage::clearLndConnect);

    m_lndFields = new QWidget(page);
    auto* form = new QFormLayout(m_lndFields);
    form->setContentsMargins(0, 0, 0, 0);
    form->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_lndUrl = textField(form, tr("REST URL:"), QStringLiteral("lndUrl"),
                         QStringLiteral("https://127.0.0.1:8080"), false);
    const QString lndFolder = QDir::homePath() + QStringLiteral("/.lnd");
    m_lndMacaroon =
        fileField(form, tr("Macaroon:"), QStringLiteral("lndMacaroon"), tr("admin.macaroon"),
                  tr("Choose the LND macaroon"), tr("Macaroons (*.macaroon);;All files (*)"),
                  firstExisting({QString(lndFolder + QStringLiteral("/data/chain/bitcoin/mainnet")),
                                 lndFolder}));
    m_lndCert = fileField(form, tr("TLS certificate:"), QStringLiteral("lndCert"), tr("tls.cert"),
                          tr("Choose LND's TLS certificate"),
                          tr("Certificates (*.cert *.crt *.pem);;All files (*)"),
                          firstExisting({lndFolder}));
    layout->addWidget(m_lndFields);
    layout->addWidget(
        pageExplanation(tr("From the node's data folder (~/.lnd): admin.macaroon under "
                           "data/chain/bitcoin/mainnet, and tls.cert, which the wallet "
                           "then trusts instead of public certificate authorities."),
                        page));
    layout->addStretch(1);
    return page;
}

QWidget* NodePage::buildClnForm()
{
    auto* page = new QWidget(this);
    auto* pageLayout = new QVBoxLayout(page);
    pageLayout->setContentsMargins(0, 0, 0, 0);
    auto* form = new QFormLayout();
    pageLayout->addLayout(form);
    form->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_clnUrl = textField(form, tr("clnrest URL:"), QStringLiteral("clnUrl"),
                         QStringLiteral("https://127.0.0.1:3010"), false);
    m_clnRune = textField(form, tr("Rune:"), QStringLiteral("clnRune"),
                          tr("from lightning-cli createrune"), true);
    m_clnCert =
        fileField(form, tr("CA certificate:"), QStringLiteral("clnCert"), tr("ca.pem (optional)"),
                  tr("Choose clnrest's CA certificate"),
                  tr("Certificates (*.pem *.crt *.cert);;All files (*)"),
                  firstExisting({QString(QDir::homePath() + QStringLiteral("/.lightning/bitcoin")),
                                 QString(QDir::homePath() + QStringLiteral("/.lightning"))}));
    pageLayout->addWidget(
        pageExplanation(tr("clnrest's ca.pem is in the node's network folder, such as "
                           "~/.lightning/bitcoin. Without it the address needs a certificate "
                           "from a public authority."),
                        page));
    pageLayout->addStretch(1);
    return page;
}

QWidget* NodePage::buildLnbitsForm()
{
    auto* page = new QWidget(this);
    auto* pageLayout = new QVBoxLayout(page);
    pageLayout->setContentsMargins(0, 0, 0, 0);
    auto* form = new QFormLayout();
    pageLayout->addLayout(form);
    form->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_lnbitsUrl = textField(form, tr("LNbits URL:"), QStringLiteral("lnbitsUrl"),
                            QStringLiteral("https://lnbits.example.com"), false);
    m_lnbitsKey = textField(form, tr("Admin key:"), QStringLiteral("lnbitsKey"),
                            tr("the wallet's admin key"), true);
    m_lnbitsCert = fileField(
        form, tr("Certificate:"), QStringLiteral("lnbitsCert"),
        tr("optional, for a self-signed certificate"), tr("Choose the LNbits certificate"),
        tr("Certificates (*.pem *.crt *.cert);;All files (*)"), QDir::homePath());
    m_lnbitsNetwork = new QComboBox(page);
    m_lnbitsNetwork->setObjectName(QStringLiteral("lnbitsNetwork"));
    m_lnbitsNetwork->addItem(tr("Bitcoin (mainnet)"), QStringLiteral("bitcoin"));
    m_lnbitsNetwork->addItem(tr("Testnet"), QStringLiteral("testnet"));
    m_lnbitsNetwork->addItem(tr("Signet"), QStringLiteral("signet"));
    m_lnbitsNetwork->addItem(tr("Regtest"), QStringLiteral("regtest"));
    form->addRow(tr("Network:"), m_lnbitsNetwork);
    pageLayout->addWidget(
        pageExplanation(tr("The admin key is under “Node URL, API keys and API "
                           "docs” in the LNbits wallet. LNbits does not say which "
                           "network it runs on, so choose it here."),
                        page));
    pageLayout->addStretch(1);
    return page;
}

QWidget* NodePage::buildPhoenixdForm()
{
    auto* page = new QWidget(this);
    auto* pageLayout = new QVBoxLayout(page);
    pageLayout->setContentsMargins(0, 0, 0, 0);
    auto* form = new QFormLayout();
    pageLayout->addLayout(form);
    form->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_phoenixdUrl = textField(form, tr("phoenixd URL:"), QStringLiteral("phoenixdUrl"),
                              QStringLiteral("http://127.0.0.1:9740"), false);
    m_phoenixdPassword = textField(form, tr("Password:"), QStringLiteral("phoenixdPassword"),
                                   tr("http-password"), true);
    pageLayout->addWidget(
        pageExplanation(tr("The password is http-password in ~/.phoenix/phoenix.conf."), page));
    pageLayout->addStretch(1);
    return page;
}

QWidget* NodePage::buildNwcForm()
{
    auto* page = new QWidget(this);
    auto* pageLayout = new QVBoxLayout(page);
    pageLayout->setContentsMargins(0, 0, 0, 0);
    auto* form = new QFormLayout();
    pageLayout->addLayout(form);
    form->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_nwcUri = textField(form, tr("Connection URI:"), QStringLiteral("nwcUri"),
                         QStringLiteral("nostr+walletconnect://…"), true);
    pageLayout->addWidget(
        pageExplanation(tr("The connection string your wallet gives for a new app "
                           "connection. It holds the app's key: keep it secret."),
                        page));
    pageLayout->addStretch(1);
    return page;
}

void NodePage::setService(service::WalletService* service)
{
    m_service = service;
    updateButtons();
    refresh();
}

void NodePage::refresh()
{
    if (!m_service) {
        return;
    }
    service::ask(
        m_service.data(), this, [](service::WalletService& s) { return s.node(); },
        [this](Result<service::NodeView> node) { showCurrent(node); });
}

void NodePage::setDemo(bool demo)
{
    m_demo = demo;
    showMessage(m_demoNote,
                demo ? tr("This demo pays with simulated funds. You can test a real node here, "
                          "but saving one requires starting L402 Wallet without --demo.")
                     : QString(),
                Tone::Warning);
    m_save->setToolTip(demo ? tr("Start L402 Wallet without --demo to save a real node.")
                            : QString());
    updateButtons();
}

QStringList NodePage::arguments() const
{
    QStringList arguments;
    switch (backend()) {
    case Backend::Lnd:
        if (!m_lndConnectUri.isEmpty()) {
            return {QStringLiteral("--uri"), m_lndConnectUri};
        }
        arguments << QStringLiteral("lnd");
        addOption(arguments, QStringLiteral("--url"), m_lndUrl->text().trimmed());
        addOption(arguments, QStringLiteral("--macaroon"),
                  expandHome(m_lndMacaroon->text().trimmed()));
        addOption(arguments, QStringLiteral("--cert"), expandHome(m_lndCert->text().trimmed()));
        break;
    case Backend::Cln:
        arguments << QStringLiteral("cln");
        addOption(arguments, QStringLiteral("--url"), m_clnUrl->text().trimmed());
        addOption(arguments, QStringLiteral("--rune"), m_clnRune->text().trimmed());
        addOption(arguments, QStringLiteral("--cert"), expandHome(m_clnCert->text().trimmed()));
        break;
    case Backend::Lnbits:
        arguments << QStringLiteral("lnbits");
        addOption(arguments, QStringLiteral("--url"), m_lnbitsUrl->text().trimmed());
        addOption(arguments, QStringLiteral("--admin-key"), m_lnbitsKey->text().trimmed());
        addOption(arguments, QStringLiteral("--cert"), expandHome(m_lnbitsCert->text().trimmed()));
        addOption(arguments, QStringLiteral("--network"),
                  m_lnbitsNetwork->currentData().toString());
        break;
    case Backend::Phoenixd:
        arguments << QStringLiteral("phoenixd");
        addOption(arguments, QStringLiteral("--url"), m_phoenixdUrl->text().trimmed());
        addOption(arguments, QStringLiteral("--password"), m_phoenixdPassword->text().trimmed());
        break;
    case Backend::Nwc:
        arguments << QStringLiteral("nwc");
        addOption(arguments, QStringLiteral("--uri"), m_nwcUri->text().trimmed());
        break;
    }
    return arguments;
}

NodePage::Backend NodePage::backend() const
{
    return static_cast<Backend>(std::max(0, m_backend->currentIndex()));
}

void NodePage::selectBackend(Backend backend)
{
    m_backend->setCurrentIndex(static_cast<int>(backend));
}

void NodePage::useUri()
{
    const QString uri = m_uri->text().trimmed();
    if (uri.isEmpty()) {
        return;
    }
    if (uri.startsWith(QLatin1String("lndconnect://"))) {
        const QUrl url(uri);
        m_lndConnectUri = uri;
        m_lndConnectText->setText(
            tr("Using the pasted lndconnect URI for %1:%2. It carries the macaroon and the "
               "certificate.")
                .arg(url.host())
                .arg(url.port(8080)));
        m_lndConnectNote->show();
        m_lndFields->setEnabled(false);
        selectBackend(Backend::Lnd);
    } else if (uri.startsWith(QLatin1String("nostr+walletconnect:"), Qt::CaseInsensitive)) {
        selectBackend(Backend::Nwc);
        m_nwcUri->setText(uri);
    } else {
        showMessage(m_uriError,
                    tr("This is neither an lndconnect:// nor a nostr+walletconnect:// URI. For "
                       "other nodes, choose the backend below and fill in its details."),
                    Tone::Error);
        return;
    }
    // The URI holds a secret: it is not left lying in the paste field.
    m_uri->clear();
    formChanged();
}

void NodePage::clearLndConnect()
{
    m_lndConnectUri.clear();
    m_lndConnectText->clear();
    m_lndConnectNote->hide();
    m_lndFields->setEnabled(true);
    formChanged();
}

void NodePage::formChanged()
{
    if (!m_filling) {
        m_formTouched = true;
    }
    // A result shown for earlier settings would mislead.
    if (!m_testing) {
        showMessage(m_testResult, QString(), Tone::Muted);
    }
    if (!m_saving) {
        showMessage(m_saved, QString(), Tone::Muted);
    }
    validate();
}

QString NodePage::missingText() const
{
    const auto both = [](bool first, bool second, const QString& firstWords,
                         const QString& secondWords) -> QString {
        if (first && second) {
            return tr("Fill in %1 and %2.").arg(firstWords, secondWords);
        }
        if (first) {
            return tr("Fill in %1.").arg(firstWords);
        }
        if (second) {
            return tr("Fill in %1.").arg(secondWords);
        }
        return {};
    };
    const auto empty = [](const QLineEdit* edit) {
        return edit->text().trimmed().isEmpty();
    };
    switch (backend()) {
    case Backend::Lnd:
        if (!m_lndConnectUri.isEmpty()) {
            return {};
        }
        if (empty(m_lndUrl) && empty(m_lndMacaroon)) {
            return tr("Fill in the REST URL and choose the macaroon file.");
        }
        if (empty(m_lndUrl)) {
            return tr("Fill in the REST URL.");
        }
        if (empty(m_lndMacaroon)) {
            return tr("Choose the macaroon file.");
        }
        return {};
    case Backend::Cln:
        return both(empty(m_clnUrl), empty(m_clnRune), tr("the clnrest URL"), tr("the rune"));
    case Backend::Lnbits:
        return both(empty(m_lnbitsUrl), empty(m_lnbitsKey), tr("the LNbits URL"),
                    tr("the admin key"));
    case Backend::Phoenixd:
        return both(empty(m_phoenixdUrl), empty(m_phoenixdPassword), tr("the phoenixd URL"),
                    tr("the password"));
    case Backend::Nwc:
        return empty(m_nwcUri) ? tr("Paste the connection URI from your wallet.") : QString();
    }
    return {};
}

void NodePage::validate()
{
    m_settings.reset();
    const QString missing = missingText();
    if (!missing.isEmpty()) {
        m_errorText = missing;
        m_incomplete = true;
    } else {
        // The same check as `node set`; it reads the chosen files, which are small.
        auto settings = node::settingsFromArguments(arguments());
        m_incomplete = false;
        if (settings) {
            m_settings = std::move(settings.value());
            m_errorText.clear();
        } else {
            m_errorText = plainWords(settings.error().message);
        }
    }
    showMessage(m_error, m_errorText, m_incomplete ? Tone::Muted : Tone::Error);
    updateButtons();
}

void NodePage::updateButtons()
{
    const bool ready = m_service && m_settings.has_value();
    m_test->setEnabled(ready && !m_testing);
    m_save->setEnabled(ready && !m_demo && !m_saving);
    m_busy->setVisible(m_testing);
}

void NodePage::testConnection()
{
    if (!m_service || !m_settings || m_testing) {
        return;
    }
    m_testing = true;
    const quint64 generation = ++m_testGeneration;
    showMessage(m_testResult, tr("Connecting to the node…"), Tone::Muted);
    updateButtons();
    m_testWatchdog.start();
    const node::NodeSettings settings = *m_settings;
    service::askLater<Result<service::NodeTestResult>>(
        m_service.data(), this,
        [settings](service::WalletService& s, auto reply) { s.testNode(settings, reply); },
        [this, generation](Result<service::NodeTestResult> result) {
            if (generation != m_testGeneration) {
                return; // the watchdog gave up on this one
            }
            m_testWatchdog.stop();
            m_testing = false;
            showTestResult(result);
            updateButtons();
        });
}

void NodePage::showTestResult(const Result<service::NodeTestResult>& result)
{
    if (!result) {
        showMessage(m_testResult, tr("Could not connect: %1").arg(result.error().message),
                    Tone::Error);
        return;
    }
    const service::NodeTestResult& node = result.value();
    showMessage(m_testResult,
                tr("Connected to %1 on %2, %3 spendable.")
                    .arg(node.alias.isEmpty() ? tr("the node") : node.alias,
                         networkWords(node.network), satText(node.balanceMsat)),
                Tone::Success);
}

void NodePage::save()
{
    if (!m_service || !m_settings || m_demo || m_saving) {
        return;
    }
    m_saving = true;
    showMessage(m_saved, tr("Saving…"), Tone::Muted);
    updateButtons();
    const node::NodeSettings settings = *m_settings;
    service::ask(
        m_service.data(), this,
        [settings](service::WalletService& s) { return s.saveNode(settings); },
        [this](Status status) {
            m_saving = false;
            if (status) {
                showMessage(m_saved,
                            tr("Saved. L402 Wallet uses this node after a restart; until then "
                               "payments go through the previous one."),
                            Tone::Success);
                refresh();
            } else {
                showMessage(m_saved, tr("Not saved: %1").arg(status.error().message), Tone::Error);
            }
            updateButtons();
        });
}

void NodePage::showCurrent(const Result<service::NodeView>& node)
{
    while (m_currentDetails->rowCount() > 0) {
        m_currentDetails->removeRow(0);
    }
    QWidget* box = m_currentTitle->parentWidget();
    const auto addRow = [this, box](const QString& label, const QString& value, bool fixed) {
        auto* text = new QLabel(box);
        text->setTextInteractionFlags(Qt::TextSelectableByMouse);
        if (fixed) {
            useFixedFont(text);
        }
        // Long values (an NWC URI with its relays) are shortened in the middle; the tooltip
        // has them whole.
        text->setText(text->fontMetrics().elidedText(value, Qt::ElideMiddle, 560));
        if (text->text() != value) {
            text->setToolTip(value);
        }
        if (label.isEmpty()) {
            m_currentDetails->addRow(text);
        } else {
            m_currentDetails->addRow(label, text);
        }
    };
    if (!node) {
        m_currentTitle->setText(tr("Could not read the node settings"));
        addRow(tr("Problem:"), node.error().message, false);
        return;
    }
    const service::NodeView& view = node.value();
    if (!view.configured) {
        m_currentTitle->setText(tr("No node is set up yet"));
        addRow(QString(), tr("Payments need one: connect your node below."), false);
        return;
    }
    m_currentTitle->setText(backendWords(view.backend));
    const std::pair<QString, QString> known[] = {
        {QStringLiteral("url"), tr("Address:")},
        {QStringLiteral("uri"), tr("Connection:")},
        {QStringLiteral("network"), tr("Network:")},
        {QStringLiteral("cert_sha256"), tr("Certificate SHA-256:")},
        {QStringLiteral("spki_pin"), tr("Pinned key:")},
        {QStringLiteral("secret"), tr("Secret:")},
        {QStringLiteral("simulated_funds"), tr("Funds:")},
    };
    QStringList shown = {QStringLiteral("backend")};
    const auto valueText = [](const QString& key, const QJsonValue& value) -> QString {
        if (key == QLatin1String("secret")) {
            return tr("stored in the wallet, not shown");
        }
        if (key == QLatin1String("simulated_funds")) {
            return value.toBool() ? tr("simulated") : tr("real");
        }
        if (key == QLatin1String("network")) {
            return networkWords(value.toString());
        }
        if (value.isBool()) {
            return value.toBool() ? tr("yes") : tr("no");
        }
        return value.toVariant().toString();
    };
    for (const auto& [key, label] : known) {
        if (view.redacted.contains(key)) {
            const bool fixed =
                key == QLatin1String("cert_sha256") || key == QLatin1String("spki_pin");
            addRow(label, valueText(key, view.redacted.value(key)), fixed);
            shown << key;
        }
    }
    QStringList rest = view.redacted.keys();
    rest.sort();
    for (const QString& key : std::as_const(rest)) {
        if (!shown.contains(key)) {
            addRow(QString(key + QLatin1Char(':')), valueText(key, view.redacted.value(key)),
                   false);
        }
    }

    // Start the form from the current node (its address; the secret stays in the wallet),
    // unless someone is already filling it in.
    if (m_formTouched) {
        return;
    }
    const QString url = view.redacted.value(QStringLiteral("url")).toString();
    m_filling = true;
    if (view.backend == QLatin1String("lnd")) {
        selectBackend(Backend::Lnd);
        m_lndUrl->setText(url);
    } else if (view.backend == QLatin1String("cln")) {
        selectBackend(Backend::Cln);
        m_clnUrl->setText(url);
    } else if (view.backend == QLatin1String("lnbits")) {
        selectBackend(Backend::Lnbits);
        m_lnbitsUrl->setText(url);
        const int network =
            m_lnbitsNetwork->findData(view.redacted.value(QStringLiteral("network")).toString());
        if (network >= 0) {
            m_lnbitsNetwork->setCurrentIndex(network);
        }
    } else if (view.backend == QLatin1String("phoenixd")) {
        selectBackend(Backend::Phoenixd);
        m_phoenixdUrl->setText(url);
    } else if (view.backend == QLatin1String("nwc")) {
        selectBackend(Backend::Nwc);
    }
    m_filling = false;
}

void NodePage::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    restyleOnPaletteChange(this, event, [this] { applyTones(this); });
}

} // namespace l402::ui
