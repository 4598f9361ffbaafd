#pragma once

#include "core/policy/Budget.h"

#include <QDialog>
#include <QList>
#include <QStringList>

#include <functional>
#include <optional>

class QComboBox;
class QDialogButtonBox;
class QFormLayout;
class QLabel;
class QLineEdit;

namespace l402::ui {

// Creates or edits one spending rule. Every amount is a text field in whole sats; an empty
// field means "no limit" (for "ask above": never ask in auto mode, always ask in ask mode).
// Problems are shown under the field they concern, and Save stays disabled until there are
// none. In block mode the amounts do not apply: their fields are disabled and rule() leaves
// them out.
class RuleEditor : public QDialog {
    Q_OBJECT
public:
    RuleEditor(const std::optional<policy::BudgetRule>& existing, const QStringList& agents,
               QWidget* parent = nullptr);

    // The rule as the fields say now (amounts in msat, the pattern trimmed and lower-cased);
    // id and createdAt come from the rule being edited.
    policy::BudgetRule rule() const;
    std::optional<policy::BudgetRule> existing() const { return m_existing; }
    bool isValid() const { return m_valid; }

    // The other rules, so the editor can say when saving would replace one of them (the
    // wallet keeps one rule per site pattern and agent).
    void setOtherRules(const QList<policy::BudgetRule>& rules);

    // With a handler, Save (or accept()) hands the rule to it and waits: the caller ends the
    // wait with saveFinished(), which closes the dialog on success, or shows the error (a
    // sentence) and stays open. Without one, Save simply accepts the dialog. accept() does
    // nothing while the fields are not valid.
    void setSaveHandler(std::function<void(const policy::BudgetRule&)> handler);
    void saveFinished(const std::optional<QString>& error);

    // The words for a mode: "Pay automatically", "Ask first", "Block".
    static QString modeText(policy::Mode mode);

public Q_SLOTS:
    void accept() override;

protected:
    void changeEvent(QEvent* event) override;

private:
    struct AmountField {
        QLineEdit* edit = nullptr;
        QLabel* problem = nullptr;
    };

    QLineEdit* amountEdit(const QString& objectName, AmountField& field, QFormLayout* form,
                          QLabel* label);
    void modeChanged();
    void validate();
    // An amount field in msat: nullopt when empty, or the problem in words.
    struct Amount {
        std::optional<int64_t> msat;
        QString problem;
    };
    static Amount readAmount(const QLineEdit* edit);
    void fitHeight();

    std::optional<policy::BudgetRule> m_existing;
    QList<policy::BudgetRule> m_otherRules;
    QStringList m_knownAgents;
    std::function<void(const policy::BudgetRule&)> m_saveHandler;
    bool m_valid = false;
    bool m_saving = false;

    QLineEdit* m_pattern = nullptr;
    QLabel* m_patternProblem = nullptr;
    QComboBox* m_agent = nullptr;
    QLabel* m_agentProblem = nullptr;
    QComboBox* m_mode = nullptr;
    QLabel* m_modeExplanation = nullptr;
    AmountField m_maxPayment;
    AmountField m_daily;
    AmountField m_weekly;
    AmountField m_monthly;
    AmountField m_askAbove;
    QLabel* m_askAboveLabel = nullptr;
    QLabel* m_replaceNote = nullptr;
    QLabel* m_saveError = nullptr;
    QDialogButtonBox* m_buttons = nullptr;
};

} // namespace l402::ui
