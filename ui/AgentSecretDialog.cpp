#include "ui/AgentSecretDialog.h"

#include "core/proxy/AgentSetup.h"
#include "ui/Widgets.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace l402::ui {
namespace {

constexpr int kSnippetLines = 11;

QLineEdit* fixedLine(const QString& text, const QString& objectName, QWidget* parent)
{
    auto* line = new QLineEdit(text, parent);
    line->setObjectName(objectName);
    line->setReadOnly(true);
    useFixedFont(line);
    line->setCursorPosition(0);
    return line;
}

} // namespace

AgentSecretDialog::AgentSecretDialog(const QString& name, const QString& secret, quint16 proxyPort,
                                     const QString& dataDir, QWidget* parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("agentSecretDialog"));
    setWindowTitle(tr("Agent %1 created").arg(name));
    setMinimumWidth(600);
    auto* layout = new QVBoxLayout(this);
    layout->setSpacing(10);

    // Amber with dark text reads as "caution" in light and dark palettes alike (the window's
    // demo banner uses the same pair).
    auto* warning = new QLabel(tr("Copy the secret now: it is shown only this once. The wallet "
                                  "keeps only its hash and cannot show it again."),
                               this);
    warning->setObjectName(QStringLiteral("agentSecretWarning"));
    warning->setWordWrap(true);
    warning->setMargin(8);
    warning->setStyleSheet(
        QStringLiteral("#agentSecretWarning { background: #f3b33d; color: #2b2100; "
                       "font-weight: 600; border-radius: 4px; }"));
    layout->addWidget(warning);

    auto* form = new QFormLayout();
    form->addRow(tr("Agent:"), fixedLine(name, QStringLiteral("agentName"), this));
    form->addRow(tr("Secret:"), fixedLine(secret, QStringLiteral("agentSecret"), this));
    layout->addLayout(form);

    const QString url = proxy::agentProxyUrl(name, secret, proxyPort);
    layout->addSpacing(6);
    layout->addWidget(sectionLabel(tr("Proxy address"), this));
    layout->addWidget(pageExplanation(
        tr("For agents that take a proxy URL. It carries the name and the secret."), this));
    auto* urlRow = new QHBoxLayout();
    auto* urlLine = fixedLine(url, QStringLiteral("proxyUrl"), this);
    auto* copyUrl = new QPushButton(tr("Copy"), this);
    copyUrl->setObjectName(QStringLiteral("copyProxyUrl"));
    urlRow->addWidget(urlLine, 1);
    urlRow->addWidget(copyUrl);
    layout->addLayout(urlRow);
    connect(copyUrl, &QPushButton::clicked, this, [url] { copySecret(url); });

    const QString snippet = proxy::agentEnvSnippet(name, secret, proxyPort, dataDir);
    layout->addSpacing(6);
    layout->addWidget(sectionLabel(tr("Shell setup"), this));
    layout->addWidget(pageExplanation(tr("Paste into the agent's shell or its start script: curl, "
                                         "Python and Node then go through the wallet and trust its "
                                         "certificate for HTTPS."),
                                      this));
    auto* snippetText = new QPlainTextEdit(snippet, this);
    snippetText->setObjectName(QStringLiteral("envSnippet"));
    snippetText->setReadOnly(true);
    snippetText->setLineWrapMode(QPlainTextEdit::NoWrap);
    snippetText->setTabChangesFocus(true);
    useFixedFont(snippetText);
    snippetText->setMinimumHeight(snippetText->fontMetrics().lineSpacing() * kSnippetLines);
    layout->addWidget(snippetText, 1);
    auto* snippetRow = new QHBoxLayout();
    auto* copySnippet = new QPushButton(tr("Copy"), this);
    copySnippet->setObjectName(QStringLiteral("copyEnvSnippet"));
    snippetRow->addStretch(1);
    snippetRow->addWidget(copySnippet);
    layout->addLayout(snippetRow);
    connect(copySnippet, &QPushButton::clicked, this, [snippet] { copySecret(snippet); });

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    QPushButton* close = buttons->button(QDialogButtonBox::Close);
    close->setObjectName(QStringLiteral("closeAgentSecret"));
    close->setDefault(true); // Enter closes; copying is always a deliberate click
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::accept);
    layout->addWidget(buttons);
}

} // namespace l402::ui
