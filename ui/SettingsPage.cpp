#include "ui/SettingsPage.h"

#include "core/crypto/SecureBytes.h"
#include "ui/Autostart.h"
#include "ui/Widgets.h"

#include <QCheckBox>
#include <QCoreApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSaveFile>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QStandardPaths>
#include <QVBoxLayout>

namespace l402::ui {
namespace {

constexpr auto kErrorProperty = "l402StatusIsError";

// Status lines inherit the palette; an error line overrides only its text colour, so both
// follow a switch between light and dark palettes (see changeEvent).
void colourStatus(QLabel* label)
{
    label->setPalette(QPalette());
    if (label->property(kErrorProperty).toBool()) {
        QPalette palette;
        palette.setColor(QPalette::WindowText, errorColour(label->palette()));
        label->setPalette(palette);
    }
}

QGroupBox* section(const QString& title, const QString& objectName, QWidget* parent)
{
    auto* box = new QGroupBox(title, parent);
    box->setObjectName(objectName);
    return box;
}

QFormLayout* sectionForm(QGroupBox* box)
{
    auto* form = new QFormLayout(box);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return form;
}

QHBoxLayout* buttonRow(std::initializer_list<QWidget*> buttons)
{
    auto* row = new QHBoxLayout();
    row->setContentsMargins(0, 0, 0, 0);
    for (QWidget* button : buttons) {
        row->addWidget(button);
    }
    row->addStretch(1);
    return row;
}

QStringList bypassLines(const QString& text)
{
    QStringList hosts;
    const QStringList lines = text.split(u'\n');
    for (const QString& line : lines) {
        const QString host = line.trimmed();
        if (!host.isEmpty()) {
            hosts.append(host);
        }
    }
    hosts.removeDuplicates();
    return hosts;
}

// What the proxy's bypass list understands: a host name or address, or `*.domain` for every
// subdomain; no scheme, port or path.
bool validBypassHost(const QString& entry)
{
    static const QRegularExpression name(QStringLiteral("^(\\*\\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?"
                                                        "(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$"),
                                         QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression ipv6(QStringLiteral("^[0-9a-f]*:[0-9a-f:.]*$"),
                                         QRegularExpression::CaseInsensitiveOption);
    return name.match(entry).hasMatch() || ipv6.match(entry).hasMatch();
}

// The program to start at login: the AppImage itself rather than its temporary mount.
QString executableForLogin()
{
    const QString appImage = qEnvironmentVariable("APPIMAGE");
    return appImage.isEmpty() ? QCoreApplication::applicationFilePath() : appImage;
}

} // namespace

SettingsPage::SettingsPage(const QString& dataDir, bool demo, QWidget* parent)
    : QWidget(parent)
    , m_dataDir(dataDir)
    , m_demo(demo)
{
    setObjectName(QStringLiteral("settingsPage"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 20, 24, 20);
    layout->addWidget(pageHeading(tr("Settings"), this));

    auto* scroll = new QScrollArea(this);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidgetResizable(true);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* content = new QWidget(scroll);
    auto* sections = new QVBoxLayout(content);
    sections->setContentsMargins(0, 8, 0, 0);
    sections->setSpacing(16);
    sections->addWidget(buildProxySection(content));
    sections->addWidget(buildCaSection(content));
    sections->addWidget(buildStartupSection(content));
    sections->addWidget(buildSecuritySection(content));
    sections->addWidget(buildAboutSection(content));
    sections->addStretch(1);
    scroll->setWidget(content);
    layout->addWidget(scroll, 1);

    updateEnabled();
    refresh();
}

QWidget* SettingsPage::buildProxySection(QWidget* parent)
{
    // One column rather than a form: wrapped explanations in a form's field column get more
    // height than they need.
    auto* box = section(tr("Proxy"), QStringLiteral("proxySection"), parent);
    auto* column = new QVBoxLayout(box);
    column->setSpacing(6);
    const auto labelledRow = [box](const QString& text, QWidget* field) {
        auto* row = new QHBoxLayout();
        auto* label = new QLabel(text, box);
        label->setBuddy(field);
        row->addWidget(label);
        row->addWidget(field);
        row->addStretch(1);
        return row;
    };

    m_proxyPort = new QSpinBox(box);
    m_proxyPort->setObjectName(QStringLiteral("proxyPort"));
    m_proxyPort->setRange(1024, 65535);
    m_proxyPort->setValue(service::WalletSettings{}.proxyPort);
    m_proxyPort->setToolTip(tr("Agents reach the wallet at http://127.0.0.1 on this port."));
    column->addLayout(labelledRow(tr("Port:"), m_proxyPort));
    column->addSpacing(6);

    m_interceptHttps = new QCheckBox(tr("Intercept HTTPS"), box);
    m_interceptHttps->setObjectName(QStringLiteral("interceptHttps"));
    column->addWidget(m_interceptHttps);
    column->addWidget(pageExplanation(tr("On: the wallet reads and pays for HTTPS requests "
                                         "too; agents must trust its certificate (see below). "
                                         "Off: HTTPS passes through unread and unpaid, and only "
                                         "plain HTTP APIs are paid for."),
                                      box));
    column->addSpacing(6);

    auto* bypassLabel = new QLabel(tr("Never intercept these hosts:"), box);
    column->addWidget(bypassLabel);
    m_bypassHosts = new QPlainTextEdit(box);
    m_bypassHosts->setObjectName(QStringLiteral("bypassHosts"));
    m_bypassHosts->setPlaceholderText(QStringLiteral("api.example.com\n*.example.org"));
    m_bypassHosts->setTabChangesFocus(true);
    useFixedFont(m_bypassHosts);
    m_bypassHosts->setFixedHeight(m_bypassHosts->fontMetrics().lineSpacing() * 5 + 12);
    bypassLabel->setBuddy(m_bypassHosts);
    column->addWidget(m_bypassHosts);
    column->addWidget(pageExplanation(tr("HTTPS to these hosts always passes through untouched, "
                                         "for sites that pin their certificates. One host "
                                         "(api.example.com) or *.domain (*.example.com: every "
                                         "subdomain) per line."),
                                      box));
    column->addSpacing(6);

    m_approvalTimeout = new QSpinBox(box);
    m_approvalTimeout->setObjectName(QStringLiteral("approvalTimeout"));
    m_approvalTimeout->setRange(10, 600);
    m_approvalTimeout->setSuffix(tr(" s"));
    m_approvalTimeout->setValue(service::WalletSettings{}.approvalTimeoutSeconds);
    m_approvalTimeout->setToolTip(
        tr("How long an agent's request waits for your answer before it is refused."));
    column->addLayout(labelledRow(tr("Wait for approval:"), m_approvalTimeout));
    column->addSpacing(6);

    m_save = new QPushButton(tr("Save"), box);
    m_save->setObjectName(QStringLiteral("saveSettings"));
    connect(m_save, &QPushButton::clicked, this, &SettingsPage::saveSettings);
    column->addLayout(buttonRow({m_save}));

    auto* note = pageExplanation(tr("Proxy changes apply the next time the wallet starts."), box);
    note->setObjectName(QStringLiteral("settingsNote"));
    column->addWidget(note);
    m_settingsStatus = statusLabel(QStringLiteral("settingsStatus"), box);
    column->addWidget(m_settingsStatus);
    return box;
}

QWidget* SettingsPage::buildCaSection(QWidget* parent)
{
    auto* box = section(tr("Local certificate authority"), QStringLiteral("caSection"), parent);
    auto* form = sectionForm(box);
    form->addRow(pageExplanation(
        tr("To pay for HTTPS APIs, the wallet answers agents with certificates from its own "
           "authority, created on this computer. Agents trust it through the proxy snippet, or "
           "you give them the exported certificate. It is public: exporting it reveals no "
           "secret."),
        box));

    m_exportCa = new QPushButton(tr("Export…"), box);
    m_exportCa->setObjectName(QStringLiteral("exportCa"));
    connect(m_exportCa, &QPushButton::clicked, this, &SettingsPage::exportCa);
    m_regenerateCa = new QPushButton(tr("Regenerate…"), box);
    m_regenerateCa->setObjectName(QStringLiteral("regenerateCa"));
    connect(m_regenerateCa, &QPushButton::clicked, this, &SettingsPage::confirmRegenerateCa);
    form->addRow(buttonRow({m_exportCa, m_regenerateCa}));

    m_caStatus = statusLabel(QStringLiteral("caStatus"), box);
    form->addRow(m_caStatus);
    return box;
}

QWidget* SettingsPage::buildStartupSection(QWidget* parent)
{
    auto* box = section(tr("Startup"), QStringLiteral("startupSection"), parent);
    auto* form = sectionForm(box);
    m_startAtLogin = new QCheckBox(tr("Start at login"), box);
    m_startAtLogin->setObjectName(QStringLiteral("startAtLogin"));
    connect(m_startAtLogin, &QCheckBox::toggled, this, &SettingsPage::toggleStartAtLogin);
    form->addRow(m_startAtLogin);
    form->addRow(pageExplanation(tr("The wallet starts in the background when you log in, so "
                                    "agents find the proxy ready."),
                                 box));
    m_startupStatus = statusLabel(QStringLiteral("startupStatus"), box);
    form->addRow(m_startupStatus);
#if !defined(Q_OS_UNIX) || defined(Q_OS_MACOS)
    // Autostart entries are the freedesktop.org way; other systems have their own.
    box->hide();
#endif
    return box;
}

QWidget* SettingsPage::buildSecuritySection(QWidget* parent)
{
    auto* box = section(tr("Security"), QStringLiteral("securitySection"), parent);
    auto* form = sectionForm(box);
    form->addRow(pageExplanation(
        tr("Locking closes the wallet's database and stops the proxy: agents cannot pay until "
           "you unlock it again."),
        box));
    m_lockNow = new QPushButton(tr("Lock now"), box);
    m_lockNow->setObjectName(QStringLiteral("lockNow"));
    connect(m_lockNow, &QPushButton::clicked, this, [this] { Q_EMIT lockRequested(); });
    m_changePassphrase = new QPushButton(tr("Change passphrase…"), box);
    m_changePassphrase->setObjectName(QStringLiteral("changePassphrase"));
    connect(m_changePassphrase, &QPushButton::clicked, this,
            &SettingsPage::openChangePassphraseDialog);
    form->addRow(buttonRow({m_lockNow, m_changePassphrase}));
    m_securityStatus = statusLabel(QStringLiteral("securityStatus"), box);
    form->addRow(m_securityStatus);
    return box;
}

QWidget* SettingsPage::buildAboutSection(QWidget* parent)
{
    auto* box = section(tr("About"), QStringLiteral("aboutSection"), parent);
    auto* form = sectionForm(box);
    auto* folder = new QLabel(QDir::toNativeSeparators(m_dataDir), box);
    folder->setObjectName(QStringLiteral("dataFolder"));
    folder->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(tr("Data folder:"), folder);
    auto* mode = new QLabel(m_demo ? tr("Demo (simulated funds)") : tr("Real node"), box);
    mode->setObjectName(QStringLiteral("mode"));
    form->addRow(tr("Mode:"), mode);
    auto* version = new QLabel(QStringLiteral(L402_VERSION), box);
    version->setObjectName(QStringLiteral("version"));
    version->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(tr("Version:"), version);
    return box;
}

void SettingsPage::setService(service::WalletService* service)
{
    if (m_service == service) {
        return;
    }
    m_service = service;
    m_saved.reset(); // another wallet session: load its settings afresh
    ++m_refreshGeneration;
    m_saving = false;
    m_caBusy = false;
    m_passphraseBusy = false;
    updateEnabled();
    refresh();
}

void SettingsPage::refresh()
{
    {
        const QSignalBlocker blocker(m_startAtLogin);
        m_startAtLogin->setChecked(startsAtLogin());
    }
    if (!m_service) {
        updateEnabled();
        return;
    }
    const quint64 generation = ++m_refreshGeneration;
    service::ask(
        m_service.data(), this, [](service::WalletService& s) { return s.settings(); },
        [this, generation](Result<service::WalletSettings> loaded) {
            if (generation != m_refreshGeneration) {
                return; // a later refresh or another service answers instead
            }
            if (!loaded) {
                showStatus(m_settingsStatus,
                           tr("Could not read the settings: %1").arg(loaded.error().message), true);
                return;
            }
            // Edits not saved yet stay; otherwise the form follows what is stored.
            const bool edited = m_saved && formSettings() != *m_saved;
            if (!edited) {
                applySettings(*loaded);
            }
            m_saved = *loaded;
            updateEnabled();
        });
}

service::WalletSettings SettingsPage::formSettings() const
{
    service::WalletSettings settings;
    settings.proxyPort = static_cast<quint16>(m_proxyPort->value());
    settings.interceptHttps = m_interceptHttps->isChecked();
    settings.bypassHosts = bypassLines(m_bypassHosts->toPlainText());
    settings.approvalTimeoutSeconds = m_approvalTimeout->value();
    return settings;
}

void SettingsPage::applySettings(const service::WalletSettings& settings)
{
    m_proxyPort->setValue(settings.proxyPort);
    m_interceptHttps->setChecked(settings.interceptHttps);
    m_bypassHosts->setPlainText(settings.bypassHosts.join(u'\n'));
    m_approvalTimeout->setValue(settings.approvalTimeoutSeconds);
}

void SettingsPage::saveSettings()
{
    if (!m_service) {
        showStatus(m_settingsStatus, tr("The wallet is locked. Unlock it to change settings."),
                   true);
        return;
    }
    const service::WalletSettings settings = formSettings();
    for (const QString& host : settings.bypassHosts) {
        if (!validBypassHost(host)) {
            showStatus(m_settingsStatus,
                       tr("“%1” is not a host. Write one host (api.example.com) or *.domain "
                          "(*.example.com) per line, without http:// or a port.")
                           .arg(host),
                       true);
            m_bypassHosts->setFocus();
            return;
        }
    }
    m_saving = true;
    updateEnabled();
    showStatus(m_settingsStatus, tr("Saving…"), false);
    service::ask(
        m_service.data(), this,
        [settings](service::WalletService& s) { return s.saveSettings(settings); },
        [this, settings](Status status) {
            m_saving = false;
            updateEnabled();
            if (!status) {
                showStatus(m_settingsStatus,
                           tr("The settings were not saved: %1").arg(status.error().message), true);
                return;
            }
            m_saved = settings;
            applySettings(settings); // the bypass list as stored: trimmed, no duplicates
            showStatus(m_settingsStatus,
                       tr("Saved. The proxy uses these settings from the next start."), false);
        });
}

void SettingsPage::exportCa()
{
    auto* dialog = new QFileDialog(this, tr("Export the wallet's certificate"));
    dialog->setObjectName(QStringLiteral("exportCaDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setFileMode(QFileDialog::AnyFile);
    dialog->setNameFilters({tr("PEM certificates (*.pem *.crt)"), tr("All files (*)")});
    dialog->setDefaultSuffix(QStringLiteral("pem"));
    const QString folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    dialog->setDirectory(folder.isEmpty() ? QDir::homePath() : folder);
    dialog->selectFile(QStringLiteral("l402-wallet-ca.pem"));
    connect(dialog, &QFileDialog::fileSelected, this, &SettingsPage::writeCa);
    dialog->open();
}

void SettingsPage::writeCa(const QString& path)
{
    if (!m_service) {
        showStatus(m_caStatus, tr("The wallet is locked. Unlock it to export the certificate."),
                   true);
        return;
    }
    m_caBusy = true;
    updateEnabled();
    service::ask(
        m_service.data(), this, [](service::WalletService& s) { return s.caCertificatePem(); },
        [this, path](Result<QByteArray> pem) {
            m_caBusy = false;
            updateEnabled();
            if (!pem) {
                showStatus(m_caStatus,
                           tr("Could not read the certificate: %1").arg(pem.error().message), true);
                return;
            }
            // A public certificate of a few KiB: written here, atomically.
            QSaveFile file(path);
            if (!file.open(QIODevice::WriteOnly) || file.write(*pem) != pem->size() ||
                !file.commit()) {
                showStatus(m_caStatus,
                           tr("Could not write %1: %2")
                               .arg(QDir::toNativeSeparators(path), file.errorString()),
                           true);
                return;
            }
            showStatus(m_caStatus,
                       tr("Certificate saved to %1.").arg(QDir::toNativeSeparators(path)), false);
        });
}

void SettingsPage::confirmRegenerateCa()
{
    auto* box = new QMessageBox(QMessageBox::Warning, tr("Regenerate the certificate?"),
                                tr("The wallet will use a new certificate authority. Every agent "
                                   "that pays for HTTPS APIs must then trust the new "
                                   "certificate: the current one stops working."),
                                QMessageBox::NoButton, this);
    box->setObjectName(QStringLiteral("regenerateCaConfirm"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setInformativeText(
        tr("Afterwards, export the new certificate or hand agents a fresh proxy snippet."));
    auto* regenerate = box->addButton(tr("Regenerate"), QMessageBox::DestructiveRole);
    regenerate->setObjectName(QStringLiteral("confirmRegenerateCa"));
    auto* cancel = box->addButton(QMessageBox::Cancel);
    box->setDefaultButton(cancel);
    box->setEscapeButton(cancel);
    connect(box, &QMessageBox::buttonClicked, this, [this, regenerate](QAbstractButton* button) {
        if (button == regenerate) {
            regenerateCa();
        }
    });
    box->open();
}

void SettingsPage::regenerateCa()
{
    if (!m_service) {
        showStatus(m_caStatus, tr("The wallet is locked. Unlock it to regenerate the certificate."),
                   true);
        return;
    }
    m_caBusy = true;
    updateEnabled();
    showStatus(m_caStatus, tr("Creating a new certificate authority…"), false);
    service::ask(
        m_service.data(), this, [](service::WalletService& s) { return s.regenerateCa(); },
        [this](Status status) {
            m_caBusy = false;
            updateEnabled();
            if (!status) {
                showStatus(m_caStatus,
                           tr("The certificate was not replaced: %1").arg(status.error().message),
                           true);
                return;
            }
            showStatus(m_caStatus,
                       tr("A new certificate is in place. Export it and have each agent trust "
                          "it; the old one no longer works."),
                       false);
        });
}

void SettingsPage::toggleStartAtLogin(bool enabled)
{
    const Status status = ui::setStartAtLogin(enabled, executableForLogin());
    if (!status) {
        const QSignalBlocker blocker(m_startAtLogin);
        m_startAtLogin->setChecked(!enabled);
        showStatus(m_startupStatus, status.error().message, true);
        return;
    }
    showStatus(m_startupStatus,
               enabled ? tr("The wallet will start when you log in.")
                       : tr("The wallet will no longer start when you log in."),
               false);
}

void SettingsPage::openChangePassphraseDialog()
{
    if (m_passphraseDialog) {
        m_passphraseDialog->raise();
        m_passphraseDialog->activateWindow();
        return;
    }
    auto* dialog = new QDialog(this);
    m_passphraseDialog = dialog;
    dialog->setObjectName(QStringLiteral("changePassphraseDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Change passphrase"));
    dialog->setMinimumWidth(440);

    auto* layout = new QVBoxLayout(dialog);
    layout->setContentsMargins(24, 20, 24, 20);
    auto* intro = new QLabel(tr("The wallet's key will be protected by this passphrase, and "
                                "unlocking the wallet will need it. A key kept in the system "
                                "keychain moves to the passphrase and is removed from the "
                                "keychain."),
                             dialog);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    layout->addWidget(pageExplanation(
        tr("If you forget it, the wallet's data cannot be opened again; the funds on your node "
           "are not affected."),
        dialog));

    auto* form = new QFormLayout();
    auto* first = new QLineEdit(dialog);
    first->setObjectName(QStringLiteral("newPassphrase"));
    first->setEchoMode(QLineEdit::Password);
    auto* second = new QLineEdit(dialog);
    second->setObjectName(QStringLiteral("confirmPassphrase"));
    second->setEchoMode(QLineEdit::Password);
    form->addRow(tr("New passphrase:"), first);
    form->addRow(tr("Confirm:"), second);
    layout->addLayout(form);

    auto* error = new QLabel(dialog);
    error->setObjectName(QStringLiteral("passphraseError"));
    error->setWordWrap(true);
    error->setProperty(kErrorProperty, true);
    colourStatus(error);
    error->hide();
    layout->addWidget(error);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, dialog);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Change passphrase"));
    layout->addWidget(buttons);

    connect(first, &QLineEdit::textChanged, error, &QLabel::hide);
    connect(second, &QLineEdit::textChanged, error, &QLabel::hide);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    connect(buttons, &QDialogButtonBox::accepted, dialog, [this, dialog, first, second, error] {
        const PassphraseProblem problem = passphraseProblem(first->text(), second->text());
        if (problem != PassphraseProblem::None) {
            error->setText(passphraseProblemText(problem));
            error->show();
            first->setFocus();
            return;
        }
        QByteArray passphrase = first->text().toUtf8();
        first->clear();
        second->clear();
        dialog->accept();
        submitPassphrase(std::move(passphrase));
    });
    // Whatever the outcome, the typed passphrase does not linger in the fields.
    connect(dialog, &QDialog::finished, dialog, [first, second] {
        first->clear();
        second->clear();
    });
    dialog->open();
}

void SettingsPage::submitPassphrase(QByteArray passphrase)
{
    if (!m_service) {
        crypto::scrub(passphrase);
        showStatus(m_securityStatus,
                   tr("The wallet is locked. Unlock it to change the passphrase."), true);
        return;
    }
    m_passphraseBusy = true;
    updateEnabled();
    showStatus(m_securityStatus, tr("Changing the passphrase…"), false);
    service::askLater<Status>(
        m_service.data(), this,
        [passphrase = std::move(passphrase)](service::WalletService& s,
                                             std::function<void(Status)> reply) mutable {
            s.changePassphrase(passphrase, std::move(reply));
            crypto::scrub(passphrase);
        },
        [this](Status status) {
            m_passphraseBusy = false;
            updateEnabled();
            if (!status) {
                showStatus(m_securityStatus,
                           tr("The passphrase was not changed: %1").arg(status.error().message),
                           true);
                return;
            }
            showStatus(m_securityStatus,
                       tr("Passphrase changed. Use it the next time you unlock the wallet."),
                       false);
        });
}

void SettingsPage::updateEnabled()
{
    const bool unlocked = !m_service.isNull();
    const bool loaded = unlocked && m_saved.has_value();
    m_proxyPort->setEnabled(loaded);
    m_interceptHttps->setEnabled(loaded);
    m_bypassHosts->setEnabled(loaded);
    m_approvalTimeout->setEnabled(loaded);
    m_save->setEnabled(loaded && !m_saving);
    m_exportCa->setEnabled(unlocked && !m_caBusy);
    m_regenerateCa->setEnabled(unlocked && !m_caBusy);
    m_lockNow->setEnabled(unlocked);
    m_changePassphrase->setEnabled(unlocked && !m_passphraseBusy);
    const QString locked = unlocked ? QString() : tr("The wallet is locked.");
    for (QWidget* widget :
         std::initializer_list<QWidget*>{m_save, m_exportCa, m_regenerateCa, m_changePassphrase}) {
        widget->setToolTip(locked);
    }
}

void SettingsPage::showStatus(QLabel* label, const QString& text, bool error)
{
    label->setText(text);
    label->setProperty(kErrorProperty, error);
    colourStatus(label);
    label->setVisible(!text.isEmpty());
}

void SettingsPage::applyStatusColors()
{
    const QList<QLabel*> labels = findChildren<QLabel*>();
    for (QLabel* label : labels) {
        if (label->property(kErrorProperty).isValid()) {
            colourStatus(label);
        }
    }
}

void SettingsPage::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    restyleOnPaletteChange(this, event, [this] { applyStatusColors(); });
}

} // namespace l402::ui
