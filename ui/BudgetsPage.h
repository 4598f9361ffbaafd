#pragma once

#include "core/service/WalletService.h"

#include "ui/Widgets.h"
#include <QList>
#include <QPointer>
#include <QStringList>
#include <QTimer>

#include <QWidget>

#include <optional>

class QLabel;
class QListWidget;
class QPushButton;
class QStackedWidget;

namespace l402::ui {

class RuleEditor;

// The spending rules, one card each: sites and agent, mode, per-payment maximum, and a usage
// bar for every daily, weekly or monthly limit with its next renewal. New, edit and delete go
// through the wallet service; the page reloads when rules or activity change.
class BudgetsPage : public QWidget {
    Q_OBJECT
public:
    explicit BudgetsPage(QWidget* parent = nullptr);

    void setService(service::WalletService* service);
    void refresh();

protected:
    void showEvent(QShowEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    void showRules(const QList<service::RuleView>& rules);
    QWidget* ruleCard(const service::RuleView& view, qint64 now);
    void showError(const QString& message);
    void updateButtons();
    std::optional<service::RuleView> selectedRule() const;
    void openEditor(const std::optional<policy::BudgetRule>& existing);
    void saveRule(QPointer<RuleEditor> editor, const policy::BudgetRule& rule,
                  const std::optional<policy::BudgetRule>& previous);
    void confirmDelete();
    void removeRule(const QString& pattern, const QString& agent);
    void applyListPalette();

    QPointer<service::WalletService> m_service;
    QList<service::RuleView> m_rules;
    QStringList m_agentNames;
    PageReads m_reads;
    bool m_loaded = false;
    bool m_restylePending = false;
    bool m_errorFromLoad = false; // the error shown is a failed read, cleared by the next one
    // The rule to keep selected across reloads (pattern, agent).
    std::optional<std::pair<QString, QString>> m_selection;

    QLabel* m_error = nullptr;
    QStackedWidget* m_stack = nullptr;
    QListWidget* m_list = nullptr;
    QPushButton* m_new = nullptr;
    QPushButton* m_edit = nullptr;
    QPushButton* m_delete = nullptr;
    QTimer m_clock; // renewal times and window roll-overs while the page is shown
};

} // namespace l402::ui
