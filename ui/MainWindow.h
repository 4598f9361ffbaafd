#pragma once

#include <QMainWindow>

class QLabel;
class QListWidget;
class QStackedWidget;

namespace l402::ui {

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
    void clearWalletProblem();
    // Under --demo: the one line that shows the whole flow (an agent's request through the
    // proxy, paid with demo funds), with a button to copy it.
    void setDemoTryLine(const QString& line);
    QString demoTryLine() const;
    Page currentPage() const;
    static QString pageTitle(Page page);

private:
    QWidget* buildPage(Page page);
    QWidget* buildActivityPage();
    QWidget* buildSettingsPage();
    QWidget* buildDemoBanner();

    Options m_options;
    QLabel* m_walletProblem = nullptr;
    QWidget* m_demoTry = nullptr;
    QLabel* m_demoTryLine = nullptr;
    QListWidget* m_navigation = nullptr;
    QStackedWidget* m_pages = nullptr;
};

} // namespace l402::ui
