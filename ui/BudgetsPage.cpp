#include "ui/BudgetsPage.h"

#include "ui/EmptyState.h"
#include "ui/RuleEditor.h"
#include "ui/Widgets.h"

#include <QDateTime>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollBar>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace l402::ui {
namespace {

using namespace std::chrono_literals;

// A bar turns to a warning at this share of its limit, and to "full" at the limit.
constexpr int kWarningPermille = 800;
constexpr int kFullPermille = 1000;

constexpr int kPatternRole = Qt::UserRole;
constexpr int kAgentRole = Qt::UserRole + 1;

QColor mix(const QColor& from, const QColor& to, double amount)
{
    const auto blend = [amount](int a, int b) {
        return static_cast<int>(a + (b - a) * amount + 0.5);
    };
    return QColor(blend(from.red(), to.red()), blend(from.green(), to.green()),
                  blend(from.blue(), to.blue()));
}

// Bar fills: brighter than text colours, since they sit on a grey groove, not on text.
QColor warningFill(const QPalette& palette)
{
    return isDarkPalette(palette) ? QColor(0xf0, 0xb4, 0x3c) : QColor(0xd9, 0x8e, 0x04);
}
QColor fullFill(const QPalette& palette)
{
    return isDarkPalette(palette) ? QColor(0xf2, 0x8b, 0x82) : QColor(0xc5, 0x22, 0x1f);
}

QLabel* mutedLabel(const QString& text, QWidget* parent)
{
    auto* label = new QLabel(text, parent);
    label->setForegroundRole(QPalette::PlaceholderText);
    return label;
}

// "120" of "120 sat": the number part, so "120 of 1,000 sat" names the unit once.
QString satNumber(qint64 msat)
{
    QString text = satText(msat);
    const QString unit = QStringLiteral(" sat");
    if (text.endsWith(unit)) {
        text.chop(unit.size());
    }
    return text;
}

int permille(qint64 usedMsat, qint64 limitMsat)
{
    if (limitMsat <= 0) {
        return kFullPermille; // a zero limit allows nothing: it is full from the start
    }
    if (usedMsat >= limitMsat) {
        return kFullPermille;
    }
    return static_cast<int>(std::max<qint64>(0, usedMsat) * 1000 / limitMsat);
}

} // namespace

BudgetsPage::BudgetsPage(QWidget* parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("budgetsPage"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 20, 24, 20);
    layout->setSpacing(10);
    layout->addWidget(pageHeading(tr("Budgets"), this));
    layout->addWidget(pageExplanation(
        tr("Every rule that matches a payment applies: a block anywhere blocks it, and each "
           "limit must have room. The most specific rule (or an agent's own rule that asks) "
           "decides whether you are asked first. When no rule matches, the wallet asks."),
        this));

    auto* buttons = new QHBoxLayout();
    m_new = new QPushButton(tr("New rule…"), this);
    m_new->setObjectName(QStringLiteral("newRule"));
    m_edit = new QPushButton(tr("Edit…"), this);
    m_edit->setObjectName(QStringLiteral("editRule"));
    m_delete = new QPushButton(tr("Delete"), this);
    m_delete->setObjectName(QStringLiteral("deleteRule"));
    m_delete->setShortcut(QKeySequence::Delete);
    buttons->addWidget(m_new);
    buttons->addWidget(m_edit);
    buttons->addWidget(m_delete);
    buttons->addStretch(1);
    layout->addLayout(buttons);

    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("budgetsError"));
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->hide();
    layout->addWidget(m_error);

    m_stack = new QStackedWidget(this);
    m_stack->addWidget(
        new EmptyState(QStringLiteral(":/icons/budgets.svg"), tr("No spending rules yet"),
                       tr("Without a rule, every payment is asked about. Rules say how much each "
                          "site and each agent may spend per payment, day, week or month, and "
                          "when to ask you first."),
                       m_stack));
    m_list = new QListWidget(m_stack);
    m_list->setObjectName(QStringLiteral("ruleList"));
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_list->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_list->setResizeMode(QListView::Adjust);
    m_list->setSpacing(3);
    m_list->setFrameShape(QFrame::NoFrame);
    m_stack->addWidget(m_list);
    layout->addWidget(m_stack, 1);
    applyListPalette();

    connect(m_new, &QPushButton::clicked, this, [this] { openEditor(std::nullopt); });
    connect(m_edit, &QPushButton::clicked, this, [this] {
        if (const auto view = selectedRule()) {
            openEditor(view->rule);
        }
    });
    connect(m_delete, &QPushButton::clicked, this, &BudgetsPage::confirmDelete);
    connect(m_list, &QListWidget::itemActivated, this, [this](QListWidgetItem*) {
        if (const auto view = selectedRule()) {
            openEditor(view->rule);
        }
    });
    connect(m_list, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0 && row < m_list->count()) {
            const QListWidgetItem* item = m_list->item(row);
            m_selection =
                std::pair(item->data(kPatternRole).toString(), item->data(kAgentRole).toString());
        }
        updateButtons();
    });

    // Renewal times count down and windows roll over at midnight: reload now and then while
    // the page is shown (a cheap read on the wallet's thread).
    m_clock.setInterval(60s);
    connect(&m_clock, &QTimer::timeout, this, [this] {
        if (isVisible()) {
            refresh();
        }
    });
    m_clock.start();
    updateButtons();
}

void BudgetsPage::setService(service::WalletService* service)
{
    m_reads.reset(); // reads sent to a previous wallet never answer
    if (m_service) {
        disconnect(m_service, nullptr, this, nullptr);
    }
    m_service = service;
    if (service) {
        connect(service, &service::WalletService::rulesChanged, this, &BudgetsPage::refresh);
        connect(service, &service::WalletService::activityChanged, this, &BudgetsPage::refresh);
        connect(service, &service::WalletService::agentsChanged, this, &BudgetsPage::refresh);
    }
    updateButtons();
    refresh();
}

void BudgetsPage::refresh()
{
    if (!m_service) {
        return;
    }
    if (!m_reads.start(this)) {
        return;
    }
    struct Loaded {
        Result<QList<service::RuleView>> rules;
        Result<QList<service::AgentView>> agents;
    };
    service::ask(
        m_service.data(), this,
        [](service::WalletService& s) {
            return Loaded{s.rules(), s.agents()};
        },
        [this, generation = m_reads.generation()](Loaded loaded) {
            bool again = false;
            if (!m_reads.finished(generation, again)) {
                return; // an answer from a wallet since replaced
            }
            if (loaded.agents) {
                m_agentNames.clear();
                for (const service::AgentView& agent : loaded.agents.value()) {
                    m_agentNames << agent.name;
                }
            }
            if (loaded.rules) {
                m_loaded = true;
                if (m_errorFromLoad) {
                    showError(QString());
                }
                showRules(loaded.rules.value());
            } else {
                showError(
                    tr("Could not read the spending rules: %1").arg(loaded.rules.error().message));
                m_errorFromLoad = true;
            }
            if (again) {
                refresh();
            }
        });
}

void BudgetsPage::showRules(const QList<service::RuleView>& rules)
{
    m_rules = rules;
    const int scroll = m_list->verticalScrollBar()->value();
    const std::optional<std::pair<QString, QString>> keep = m_selection;
    const QSignalBlocker blocker(m_list);
    m_list->clear();
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    int selectRow = -1;
    for (const service::RuleView& view : rules) {
        auto* item = new QListWidgetItem(m_list);
        item->setData(kPatternRole, view.rule.pattern);
        item->setData(kAgentRole, view.rule.agent);
        // The card paints the rule; the item text serves accessibility and keyboard search.
        item->setData(Qt::AccessibleTextRole,
                      view.rule.agent.isEmpty()
                          ? tr("%1, every agent, %2")
                                .arg(view.rule.pattern, RuleEditor::modeText(view.rule.mode))
                          : tr("%1, agent %2, %3")
                                .arg(view.rule.pattern, view.rule.agent,
                                     RuleEditor::modeText(view.rule.mode)));
        QWidget* card = ruleCard(view, now);
        item->setSizeHint(card->sizeHint());
        m_list->setItemWidget(item, card);
        if (keep && keep->first == view.rule.pattern && keep->second == view.rule.agent) {
            selectRow = m_list->count() - 1;
        }
    }
    // A rule not found (yet: a read that started before a save) stays wanted.
    if (selectRow >= 0) {
        m_list->setCurrentRow(selectRow);
    }
    m_list->verticalScrollBar()->setValue(scroll);
    m_stack->setCurrentIndex(rules.isEmpty() ? 0 : 1);
    updateButtons();
}

QWidget* BudgetsPage::ruleCard(const service::RuleView& view, qint64 now)
{
    const policy::BudgetRule& rule = view.rule;
    const QPalette& palette = this->palette();

    auto* card = new QFrame();
    card->setObjectName(QStringLiteral("ruleCard"));
    card->setFrameShape(QFrame::StyledPanel);
    // Clicks go straight to the list, which selects the row and opens it on double-click.
    card->setAttribute(Qt::WA_TransparentForMouseEvents);
    auto* layout = new QVBoxLayout(card);
    layout->setContentsMargins(14, 10, 14, 12);
    layout->setSpacing(6);

    // Sites and agent on the left, the mode on the right.
    auto* header = new QHBoxLayout();
    header->setSpacing(8);
    auto* pattern = new QLabel(rule.pattern, card);
    pattern->setObjectName(QStringLiteral("rulePatternText"));
    QFont bold = pattern->font();
    bold.setWeight(QFont::DemiBold);
    bold.setPointSizeF(bold.pointSizeF() * 1.1);
    pattern->setFont(bold);
    header->addWidget(pattern);
    auto* agent =
        mutedLabel(rule.agent.isEmpty() ? tr("every agent") : tr("agent %1").arg(rule.agent), card);
    agent->setObjectName(QStringLiteral("ruleAgentText"));
    header->addWidget(agent);
    header->addStretch(1);
    auto* mode = new QLabel(RuleEditor::modeText(rule.mode), card);
    mode->setObjectName(QStringLiteral("ruleModeText"));
    const QColor modeColour = rule.mode == policy::Mode::Block  ? errorColour(palette)
                              : rule.mode == policy::Mode::Auto ? successColour(palette)
                                                                : warningColour(palette);
    mode->setStyleSheet(QStringLiteral("QLabel { color: %1; border: 1px solid %1; "
                                       "border-radius: 9px; padding: 1px 8px; }")
                            .arg(modeColour.name()));
    header->addWidget(mode);
    layout->addLayout(header);

    // What happens to a single payment.
    QStringList terms;
    if (rule.mode == policy::Mode::Block) {
        terms << tr("Every payment is refused.");
    } else {
        terms << (rule.maxPaymentMsat
                      ? tr("At most %1 per payment").arg(satText(qint64(*rule.maxPaymentMsat)))
                      : tr("No per-payment limit"));
        if (rule.mode == policy::Mode::Auto && rule.askAboveMsat) {
            terms << tr("asks above %1").arg(satText(qint64(*rule.askAboveMsat)));
        } else if (rule.mode == policy::Mode::Ask) {
            terms << (rule.askAboveMsat ? tr("pays up to %1 without asking")
                                              .arg(satText(qint64(*rule.askAboveMsat)))
                                        : tr("asks about every payment"));
        }
        if (!rule.dailyMsat && !rule.weeklyMsat && !rule.monthlyMsat) {
            terms << tr("no daily, weekly or monthly limit");
        }
        if (rule.maxRate) {
            terms << tr("at most %n payment(s) per %1", nullptr, int(rule.maxRate->count))
                         .arg(rule.maxRate->periodName());
        }
    }
    auto* details = mutedLabel(terms.join(QStringLiteral(" · ")), card);
    details->setObjectName(QStringLiteral("ruleTerms"));
    layout->addWidget(details);

    if (rule.mode == policy::Mode::Block) {
        return card;
    }

    // One bar per limit that is set.
    struct Limit {
        std::optional<int64_t> limitMsat;
        int64_t usedMsat;
        const policy::Window& window;
        QString usageFormat; // "%1 of %2 today"
        QString name;        // object name suffix
    };
    const Limit limits[] = {
        {rule.dailyMsat, view.used.dayMsat, view.windows.day, tr("%1 of %2 today"),
         QStringLiteral("Day")},
        {rule.weeklyMsat, view.used.weekMsat, view.windows.week, tr("%1 of %2 this week"),
         QStringLiteral("Week")},
        {rule.monthlyMsat, view.used.monthMsat, view.windows.month, tr("%1 of %2 this month"),
         QStringLiteral("Month")},
    };
    const QColor groove = mix(palette.color(QPalette::Base), palette.color(QPalette::Text), 0.14);
    for (const Limit& limit : limits) {
        if (!limit.limitMsat) {
            continue;
        }
        const int share = permille(limit.usedMsat, *limit.limitMsat);
        const bool full = share >= kFullPermille;
        const bool warning = !full && share >= kWarningPermille;

        auto* line = new QHBoxLayout();
        auto* usage = new QLabel(
            limit.usageFormat.arg(satNumber(limit.usedMsat), satText(qint64(*limit.limitMsat))),
            card);
        usage->setObjectName(QStringLiteral("ruleUsage") + limit.name);
        line->addWidget(usage);
        line->addStretch(1);
        const qint64 renewsAt = limit.window.end.toSecsSinceEpoch();
        const QString renews = tr("renews %1").arg(relativeText(renewsAt, now));
        QLabel* renewal = nullptr;
        if (full) {
            renewal = new QLabel(tr("limit reached, %1").arg(renews), card);
            setTextColour(renewal, errorColour(palette));
        } else if (warning) {
            renewal = new QLabel(tr("%1% used, %2").arg(share / 10).arg(renews), card);
            setTextColour(renewal, warningColour(palette));
        } else {
            renewal = mutedLabel(renews, card);
        }
        renewal->setObjectName(QStringLiteral("ruleRenewal") + limit.name);
        line->addWidget(renewal);
        layout->addLayout(line);

        auto* bar = new QProgressBar(card);
        bar->setObjectName(QStringLiteral("ruleBar") + limit.name);
        bar->setRange(0, kFullPermille);
        bar->setValue(share);
        bar->setTextVisible(false);
        bar->setFixedHeight(8);
        bar->setProperty("level", full      ? QStringLiteral("full")
                                  : warning ? QStringLiteral("warning")
                                            : QStringLiteral("normal"));
        bar->setAccessibleName(usage->text());
        const QColor fill = full      ? fullFill(palette)
                            : warning ? warningFill(palette)
                                      : palette.color(QPalette::Highlight);
        bar->setStyleSheet(QStringLiteral("QProgressBar { border: none; border-radius: 4px; "
                                          "background: %1; } QProgressBar::chunk { "
                                          "border-radius: 4px; background: %2; }")
                               .arg(groove.name(), fill.name()));
        layout->addWidget(bar);
    }
    return card;
}

void BudgetsPage::showError(const QString& message)
{
    m_errorFromLoad = false;
    setTextColour(m_error, errorColour(palette()));
    m_error->setText(message);
    m_error->setVisible(!message.isEmpty());
}

void BudgetsPage::updateButtons()
{
    const bool ready = m_service && m_loaded;
    const bool selected = selectedRule().has_value();
    m_new->setEnabled(ready);
    m_edit->setEnabled(ready && selected);
    m_delete->setEnabled(ready && selected);
}

std::optional<service::RuleView> BudgetsPage::selectedRule() const
{
    const int row = m_list->currentRow();
    if (row < 0 || row >= m_rules.size() || !m_list->item(row)->isSelected()) {
        return std::nullopt;
    }
    return m_rules.at(row);
}

void BudgetsPage::openEditor(const std::optional<policy::BudgetRule>& existing)
{
    if (!m_service) {
        return;
    }
    showError(QString());
    auto* editor = new RuleEditor(existing, m_agentNames, this);
    editor->setAttribute(Qt::WA_DeleteOnClose);
    QList<policy::BudgetRule> others;
    for (const service::RuleView& view : std::as_const(m_rules)) {
        if (!existing || view.rule.id != existing->id) {
            others << view.rule;
        }
    }
    editor->setOtherRules(others);
    const QPointer<RuleEditor> guard(editor);
    editor->setSaveHandler([this, guard, existing](const policy::BudgetRule& rule) {
        saveRule(guard, rule, existing);
    });
    editor->open();
}

void BudgetsPage::saveRule(QPointer<RuleEditor> editor, const policy::BudgetRule& rule,
                           const std::optional<policy::BudgetRule>& previous)
{
    if (!m_service) {
        if (editor) {
            editor->saveFinished(tr("The wallet is not open."));
        }
        return;
    }
    m_selection = std::pair(rule.pattern, rule.agent);
    service::ask(
        m_service.data(), this,
        [rule, previous](service::WalletService& s) -> std::optional<QString> {
            auto saved = s.saveRule(rule);
            if (!saved) {
                return tr("Not saved: %1").arg(saved.error().message);
            }
            // A rule is known by its pattern and agent: when those changed, the edit saved a
            // new rule, and the old one goes only once the new one is safely in place.
            if (previous && (previous->pattern != rule.pattern || previous->agent != rule.agent)) {
                auto removed = s.removeRule(previous->pattern, previous->agent);
                if (!removed) {
                    return tr("The new rule is saved, but the old rule for %1 could not be "
                              "removed: %2")
                        .arg(previous->pattern, removed.error().message);
                }
            }
            return std::nullopt;
        },
        [this, editor](std::optional<QString> error) {
            if (editor) {
                editor->saveFinished(error);
            } else if (error) {
                showError(*error);
            }
            refresh();
        });
}

void BudgetsPage::confirmDelete()
{
    const auto view = selectedRule();
    if (!view || !m_service) {
        return;
    }
    showError(QString());
    const QString pattern = view->rule.pattern;
    const QString agent = view->rule.agent;
    auto* box = new QMessageBox(this);
    box->setObjectName(QStringLiteral("confirmDeleteRule"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setIcon(QMessageBox::Question);
    box->setWindowTitle(tr("Delete rule"));
    box->setText(agent.isEmpty() ? tr("Delete the rule for %1 and every agent?").arg(pattern)
                                 : tr("Delete the rule for %1 and agent %2?").arg(pattern, agent));
    box->setInformativeText(tr("Payments it covered follow the next matching rule, or are asked "
                               "about when none matches."));
    QPushButton* remove = box->addButton(tr("Delete"), QMessageBox::DestructiveRole);
    remove->setObjectName(QStringLiteral("confirmDelete"));
    box->setDefaultButton(box->addButton(QMessageBox::Cancel));
    connect(box, &QMessageBox::buttonClicked, this,
            [this, remove, pattern, agent](QAbstractButton* clicked) {
                if (clicked == remove) {
                    removeRule(pattern, agent);
                }
            });
    box->open();
}

void BudgetsPage::removeRule(const QString& pattern, const QString& agent)
{
    if (!m_service) {
        return;
    }
    service::ask(
        m_service.data(), this,
        [pattern, agent](service::WalletService& s) { return s.removeRule(pattern, agent); },
        [this](Result<bool> removed) {
            if (!removed) {
                showError(tr("Not deleted: %1").arg(removed.error().message));
            }
            refresh();
        });
}

void BudgetsPage::applyListPalette()
{
    // A soft tint marks the selected card: the full highlight colour under the card's text
    // would be hard to read in some palettes.
    QPalette listPalette = m_list->palette();
    const QPalette& own = palette();
    for (const auto group : {QPalette::Active, QPalette::Inactive}) {
        listPalette.setColor(
            group, QPalette::Highlight,
            mix(own.color(group, QPalette::Base), own.color(group, QPalette::Highlight), 0.22));
        listPalette.setColor(group, QPalette::HighlightedText, own.color(group, QPalette::Text));
    }
    m_list->setPalette(listPalette);
}

void BudgetsPage::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    refresh();
}

void BudgetsPage::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (m_restylePending) {
        return; // one restyle, however many palette changes come before it
    }
    m_restylePending = restyleOnPaletteChange(this, event, [this] {
        m_restylePending = false;
        applyListPalette();
        if (m_loaded) {
            showRules(m_rules); // the cards' colours follow the palette
        }
        setTextColour(m_error, errorColour(palette()));
    });
}

} // namespace l402::ui
