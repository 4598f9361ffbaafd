#include "ui/RuleEditor.h"

#include "core/policy/Agents.h"
#include "core/policy/HostPattern.h"
#include "core/util/Money.h"
#include "ui/Widgets.h"

#include <QComboBox>
#include <QCompleter>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace l402::ui {
namespace {

// A field with its message under it, as one form row.
QWidget* withMessage(QWidget* parent, QWidget* field, QLabel* message)
{
    auto* box = new QWidget(parent);
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    field->setParent(box);
    message->setParent(box);
    layout->addWidget(field);
    layout->addWidget(message);
    return box;
}

} // namespace

QString RuleEditor::modeText(policy::Mode mode)
{
    switch (mode) {
    case policy::Mode::Auto:
        return tr("Pay automatically");
    case policy::Mode::Ask:
        return tr("Ask first");
    case policy::Mode::Block:
        return tr("Block");
    }
    return {};
}

RuleEditor::RuleEditor(const std::optional<policy::BudgetRule>& existing, const QStringList& agents,
                       QWidget* parent)
    : QDialog(parent)
    , m_existing(existing)
    , m_knownAgents(agents)
{
    setObjectName(QStringLiteral("ruleEditor"));
    setWindowTitle(existing ? tr("Edit spending rule") : tr("New spending rule"));

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(20, 18, 20, 16);
    layout->setSpacing(12);

    auto* form = new QFormLayout();
    form->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setVerticalSpacing(10);
    layout->addLayout(form);

    // Sites
    m_pattern = new QLineEdit(this);
    m_pattern->setObjectName(QStringLiteral("rulePattern"));
    m_pattern->setMinimumWidth(320); // sets the dialog's width; its height follows the messages
    m_pattern->setPlaceholderText(tr("*.example.com, api.example.com or *"));
    m_pattern->setToolTip(tr("api.example.com is one site (add :8443 for one port), "
                             "*.example.com every subdomain of example.com, * every site."));
    m_patternProblem = messageLabel(QStringLiteral("rulePatternProblem"), this);
    form->addRow(tr("Sites:"), withMessage(this, m_pattern, m_patternProblem));

    // Agent
    m_agent = new QComboBox(this);
    m_agent->setObjectName(QStringLiteral("ruleAgent"));
    m_agent->setEditable(true);
    m_agent->setInsertPolicy(QComboBox::NoInsert);
    QStringList sortedAgents = agents;
    sortedAgents.removeAll(QString());
    sortedAgents.removeDuplicates();
    sortedAgents.sort(Qt::CaseInsensitive);
    m_agent->addItems(sortedAgents);
    m_agent->setCurrentIndex(-1);
    m_agent->setEditText(QString());
    m_agent->lineEdit()->setPlaceholderText(tr("Every agent"));
    m_agent->lineEdit()->setClearButtonEnabled(true);
    if (m_agent->completer()) {
        m_agent->completer()->setCaseSensitivity(Qt::CaseSensitive);
    }
    m_agent->setToolTip(tr("Leave empty for a rule that covers every agent."));
    m_agentProblem = messageLabel(QStringLiteral("ruleAgentProblem"), this);
    form->addRow(tr("Agent:"), withMessage(this, m_agent, m_agentProblem));

    // Mode
    m_mode = new QComboBox(this);
    m_mode->setObjectName(QStringLiteral("ruleMode"));
    for (const policy::Mode mode : {policy::Mode::Auto, policy::Mode::Ask, policy::Mode::Block}) {
        m_mode->addItem(modeText(mode), policy::modeName(mode));
    }
    m_modeExplanation = messageLabel(QStringLiteral("ruleModeExplanation"), this);
    form->addRow(tr("Payments:"), withMessage(this, m_mode, m_modeExplanation));

    auto* amountsNote =
        pageExplanation(tr("Amounts are whole sats. Leave a field empty for no limit."), this);
    form->addRow(QString(), amountsNote);

    amountEdit(QStringLiteral("ruleMaxPayment"), m_maxPayment, form,
               new QLabel(tr("Largest payment:"), this));
    amountEdit(QStringLiteral("ruleDaily"), m_daily, form, new QLabel(tr("Per day:"), this));
    amountEdit(QStringLiteral("ruleWeekly"), m_weekly, form, new QLabel(tr("Per week:"), this));
    amountEdit(QStringLiteral("ruleMonthly"), m_monthly, form, new QLabel(tr("Per month:"), this));
    // "Ask above" reads the same in both modes; only what an empty field means differs.
    m_askAboveLabel = new QLabel(tr("Ask above:"), this);
    amountEdit(QStringLiteral("ruleAskAbove"), m_askAbove, form, m_askAboveLabel);

    m_replaceNote = messageLabel(QStringLiteral("ruleReplaceNote"), this);
    layout->addWidget(m_replaceNote);
    m_saveError = messageLabel(QStringLiteral("ruleSaveError"), this);
    m_saveError->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_saveError);
    layout->addStretch(1);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->setObjectName(QStringLiteral("ruleButtons"));
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Save"));
    m_buttons->button(QDialogButtonBox::Ok)->setObjectName(QStringLiteral("saveRule"));
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &RuleEditor::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &RuleEditor::reject);

    // Fill in the rule being edited; a new rule starts as "pay automatically", no limits.
    if (existing) {
        m_pattern->setText(existing->pattern);
        m_agent->setEditText(existing->agent);
        m_mode->setCurrentIndex(m_mode->findData(policy::modeName(existing->mode)));
        const auto fill = [](QLineEdit* edit, const std::optional<int64_t>& msat) {
            if (msat) {
                // Rules made in sats round-trip exactly; a stray msat part rounds up.
                edit->setText(QString::number((*msat + 999) / 1000));
            }
        };
        fill(m_maxPayment.edit, existing->maxPaymentMsat);
        fill(m_daily.edit, existing->dailyMsat);
        fill(m_weekly.edit, existing->weeklyMsat);
        fill(m_monthly.edit, existing->monthlyMsat);
        fill(m_askAbove.edit, existing->askAboveMsat);
    }

    connect(m_pattern, &QLineEdit::textChanged, this, &RuleEditor::validate);
    connect(m_agent, &QComboBox::editTextChanged, this, &RuleEditor::validate);
    connect(m_mode, &QComboBox::currentIndexChanged, this, &RuleEditor::modeChanged);
    for (const AmountField* field : {&m_maxPayment, &m_daily, &m_weekly, &m_monthly, &m_askAbove}) {
        connect(field->edit, &QLineEdit::textChanged, this, &RuleEditor::validate);
    }
    modeChanged();
    m_pattern->setFocus();
}

QLineEdit* RuleEditor::amountEdit(const QString& objectName, AmountField& field, QFormLayout* form,
                                  QLabel* label)
{
    auto* row = new QWidget(this);
    auto* rowLayout = new QHBoxLayout(row);
    rowLayout->setContentsMargins(0, 0, 0, 0);
    field.edit = new QLineEdit(row);
    field.edit->setObjectName(objectName);
    field.edit->setPlaceholderText(tr("no limit"));
    field.edit->setFixedWidth(150);
    field.edit->setAlignment(Qt::AlignRight);
    field.edit->setClearButtonEnabled(true);
    rowLayout->addWidget(field.edit);
    rowLayout->addWidget(new QLabel(tr("sat"), row));
    rowLayout->addStretch(1);
    field.problem = messageLabel(objectName + QStringLiteral("Problem"), this);
    form->addRow(label, withMessage(this, row, field.problem));
    return field.edit;
}

void RuleEditor::setOtherRules(const QList<policy::BudgetRule>& rules)
{
    m_otherRules = rules;
    validate();
}

void RuleEditor::setSaveHandler(std::function<void(const policy::BudgetRule&)> handler)
{
    m_saveHandler = std::move(handler);
}

void RuleEditor::saveFinished(const std::optional<QString>& error)
{
    m_saving = false;
    if (!error) {
        showMessage(m_saveError, QString(), Tone::Muted);
        QDialog::accept();
        return;
    }
    showMessage(m_saveError, *error, Tone::Error);
    validate();
}

void RuleEditor::modeChanged()
{
    const auto mode =
        policy::modeFromName(m_mode->currentData().toString()).value_or(policy::Mode::Auto);
    const bool block = mode == policy::Mode::Block;
    switch (mode) {
    case policy::Mode::Auto:
        showMessage(m_modeExplanation,
                    tr("Payments within the limits go through without asking. Fill in “Ask "
                       "above” to be asked about larger ones."),
                    Tone::Muted);
        m_askAbove.edit->setPlaceholderText(tr("never ask"));
        break;
    case policy::Mode::Ask:
        showMessage(m_modeExplanation,
                    tr("Each payment waits for your approval. Fill in “Ask above” to let "
                       "smaller ones through without asking."),
                    Tone::Muted);
        m_askAbove.edit->setPlaceholderText(tr("always ask"));
        break;
    case policy::Mode::Block:
        showMessage(m_modeExplanation,
                    tr("Every payment to these sites is refused, so the amounts do not apply."),
                    Tone::Muted);
        break;
    }
    for (const AmountField* field : {&m_maxPayment, &m_daily, &m_weekly, &m_monthly, &m_askAbove}) {
        field->edit->setEnabled(!block);
    }
    m_askAboveLabel->setEnabled(!block);
    validate();
}

RuleEditor::Amount RuleEditor::readAmount(const QLineEdit* edit)
{
    QString text = edit->text();
    text.remove(QLatin1Char(',')).remove(QLatin1Char('_')).remove(QLatin1Char(' '));
    text.remove(QChar(0x00a0)).remove(QChar(0x202f)); // the locale's group separators
    text = text.trimmed();
    if (text.isEmpty()) {
        return {};
    }
    bool ok = false;
    const qlonglong sats = text.toLongLong(&ok);
    if (!ok || sats < 0 || text.startsWith(QLatin1Char('+')) || text.startsWith(QLatin1Char('-'))) {
        return {std::nullopt,
                tr("Enter whole sats, such as 1000, or leave it empty for no limit.")};
    }
    if (sats > kMaxSats) {
        return {std::nullopt, tr("That is more than all the bitcoin there will ever be.")};
    }
    return {sats * 1000, QString()};
}

policy::BudgetRule RuleEditor::rule() const
{
    policy::BudgetRule result;
    if (m_existing) {
        result.id = m_existing->id;
        result.createdAt = m_existing->createdAt;
    }
    const QString pattern = m_pattern->text().trimmed();
    const auto parsed = policy::HostPattern::parse(pattern);
    result.pattern = parsed ? parsed->text() : pattern;
    result.agent = m_agent->currentText().trimmed();
    result.mode =
        policy::modeFromName(m_mode->currentData().toString()).value_or(policy::Mode::Auto);
    if (result.mode != policy::Mode::Block) {
        result.maxPaymentMsat = readAmount(m_maxPayment.edit).msat;
        result.dailyMsat = readAmount(m_daily.edit).msat;
        result.weeklyMsat = readAmount(m_weekly.edit).msat;
        result.monthlyMsat = readAmount(m_monthly.edit).msat;
        result.askAboveMsat = readAmount(m_askAbove.edit).msat;
    }
    return result;
}

void RuleEditor::validate()
{
    bool valid = true;

    const QString pattern = m_pattern->text().trimmed();
    std::optional<policy::HostPattern> parsedPattern;
    if (pattern.isEmpty()) {
        valid = false;
        showMessage(m_patternProblem,
                    tr("Enter the sites this rule covers, such as api.example.com."), Tone::Muted);
    } else if (auto parsed = policy::HostPattern::parse(pattern); !parsed) {
        valid = false;
        showMessage(m_patternProblem, parsed.error().message, Tone::Error);
    } else {
        parsedPattern = parsed.value();
        showMessage(m_patternProblem, QString(), Tone::Muted);
    }

    const QString agent = m_agent->currentText().trimmed();
    if (!agent.isEmpty() && !policy::AgentBook::validName(agent)) {
        valid = false;
        showMessage(m_agentProblem,
                    tr("An agent name is 1 to 64 letters, digits, “.”, “_” or “-”."), Tone::Error);
    } else if (!agent.isEmpty() && !m_knownAgents.contains(agent)) {
        showMessage(m_agentProblem,
                    tr("No agent has this name yet; the rule applies once one does."),
                    Tone::Warning);
    } else {
        showMessage(m_agentProblem, QString(), Tone::Muted);
    }

    const bool block = m_mode->currentData().toString() == policy::modeName(policy::Mode::Block);
    for (const AmountField* field : {&m_maxPayment, &m_daily, &m_weekly, &m_monthly, &m_askAbove}) {
        const Amount amount = readAmount(field->edit);
        if (!block && !amount.problem.isEmpty()) {
            valid = false;
            showMessage(field->problem, amount.problem, Tone::Error);
        } else {
            showMessage(field->problem, QString(), Tone::Muted);
        }
    }
    // Limits that cannot all hold are allowed (the tightest one wins), but worth a word.
    if (!block) {
        const auto daily = readAmount(m_daily.edit).msat;
        const auto maxPayment = readAmount(m_maxPayment.edit).msat;
        if (maxPayment && daily && *maxPayment > *daily && m_maxPayment.problem->isHidden()) {
            showMessage(m_maxPayment.problem,
                        tr("Larger than the daily limit of %1, which then caps each payment.")
                            .arg(satText(*daily)),
                        Tone::Warning);
        }
    }

    // The wallet keeps one rule per pattern and agent: saving over another one replaces it.
    QString replaces;
    if (parsedPattern) {
        const bool sameAsEdited = m_existing && m_existing->pattern == parsedPattern->text() &&
                                  m_existing->agent == agent;
        for (const policy::BudgetRule& other : m_otherRules) {
            if (!sameAsEdited && other.pattern == parsedPattern->text() && other.agent == agent &&
                (!m_existing || other.id != m_existing->id)) {
                replaces = agent.isEmpty()
                               ? tr("There is already a rule for %1 and every agent; saving "
                                    "replaces it.")
                                     .arg(other.pattern)
                               : tr("There is already a rule for %1 and agent %2; saving "
                                    "replaces it.")
                                     .arg(other.pattern, agent);
                break;
            }
        }
    }
    showMessage(m_replaceNote, replaces, Tone::Warning);

    m_valid = valid;
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(valid && !m_saving);
    fitHeight();
}

void RuleEditor::fitHeight()
{
    // A dialog does not follow its wrapped labels' height for its width on its own: grow it
    // when messages appear, so none is clipped.
    if (!layout()) {
        return;
    }
    layout()->activate();
    const int needed = layout()->totalHeightForWidth(width());
    if (needed > height()) {
        resize(width(), needed);
    }
}

void RuleEditor::accept()
{
    validate();
    if (!m_valid || m_saving) {
        return;
    }
    if (!m_saveHandler) {
        QDialog::accept();
        return;
    }
    m_saving = true;
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(false);
    showMessage(m_saveError, tr("Saving…"), Tone::Muted);
    m_saveHandler(rule());
}

void RuleEditor::changeEvent(QEvent* event)
{
    QDialog::changeEvent(event);
    restyleOnPaletteChange(this, event, [this] { applyTones(this); });
}

} // namespace l402::ui
