#pragma once

#include <QMainWindow>
#include <QPointer>

class QLabel;
class QListWidget;
class QStackedWidget;

class QPushButton;

namespace l402::service {
class WalletService;
struct Overview;
struct SpendingView;
} // namespace l402::service

namespace l402::ui {

class ActivityPage;
class AgentsPage;
class ApprovalPrompt;
class ApprovalsPage;
class BudgetsPage;
class NodePage;
class SettingsPage;
class TokensPage;

// The main window: a navigation list on the left and one page per area on the right.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    struct Options {
        bool demo = false;
        QString dataDir;
    };

    enum class Page { Activity, Approvals, Tokens, Budgets, Agents, Node, Settings };
    Q_ENUM(Page)

    explicit MainWindow(const Options& options, QWidget* parent = nullptr);

    void showPage(Page page);
    // Shown above the pages when the wallet cannot be unlocked (no keychain, wrong
    // passphrase, another instance...): the window stays usable and says why.
    void showWalletProblem(const QString& message);
    // A problem shown as it is (the wallet is open, but, say, the proxy could not start).
    void showProblem(const QString& message);
    void clearWalletProblem();
    // Under --demo: the one line that shows the whole flow (an agent's request through the
    // proxy, paid with demo funds), with a button to copy it.
    void setDemoTryLine(const QString& line);
    QString demoTryLine() const;
    Page currentPage() const;
    static QString pageTitle(Page page);

    // The wallet is unlocked: every page reads it through `service` (on the wallet's thread).
    // nullptr: it was locked; the prompt and the approvals list are emptied.
    void setService(service::WalletService* service);

    // The kill switch. Pausing stops every payment at once (free requests and bought tokens
    // still work); in the window a click is owner proof, so resuming just resumes.
    bool spendingPaused() const { return m_spendingPaused; }
    void pauseAllSpending();
    void resumeAllSpending();
    QPushButton* pauseButton() const { return m_pauseButton; }
    QWidget* pausedBanner() const { return m_pausedBanner; }

    ApprovalPrompt* approvalPrompt() const { return m_prompt; }
    ActivityPage* activityPage() const { return m_activity; }
    ApprovalsPage* approvalsPage() const { return m_approvals; }
    TokensPage* tokensPage() const { return m_tokens; }
    BudgetsPage* budgetsPage() const { return m_budgets; }
    AgentsPage* agentsPage() const { return m_agents; }
    NodePage* nodePage() const { return m_node; }
    SettingsPage* settingsPage() const { return m_settings; }

Q_SIGNALS:
    void lockRequested();
    void overviewChanged(const l402::service::Overview& overview);
    void approvalWaiting(const QString& summary);
    void approvalsPending(int count);
    void spendingPausedChanged(bool paused);

private:
    QWidget* buildDemoBanner();
    QWidget* buildPausedBanner();
    void showSpending(const service::SpendingView& spending);

    Options m_options;
    QLabel* m_walletProblem = nullptr;
    QWidget* m_demoTry = nullptr;
    QLabel* m_demoTryLine = nullptr;
    QListWidget* m_navigation = nullptr;
    QStackedWidget* m_pages = nullptr;
    ActivityPage* m_activity = nullptr;
    ApprovalsPage* m_approvals = nullptr;
    TokensPage* m_tokens = nullptr;
    BudgetsPage* m_budgets = nullptr;
    AgentsPage* m_agents = nullptr;
    NodePage* m_node = nullptr;
    SettingsPage* m_settings = nullptr;
    ApprovalPrompt* m_prompt = nullptr;
    QWidget* m_pausedBanner = nullptr;
    QLabel* m_pausedText = nullptr;
    QPushButton* m_pauseButton = nullptr;
    bool m_spendingPaused = false;
    QPointer<service::WalletService> m_service;
};

} // namespace l402::ui
