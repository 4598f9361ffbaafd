#pragma once

#include "ui/Widgets.h"
#include <QPointer>

#include <QWidget>

class QLabel;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QStackedWidget;
class QTimer;
class QTreeView;

namespace l402 {
class Clock;
namespace service {
class WalletService;
}
} // namespace l402

namespace l402::ui {

class TokensModel;
struct TokenRow;

// The L402 tokens the wallet bought, per site, with the selected token's caveats and
// macaroon, and the three things a person may do with one: copy its credential (behind a
// warning), hand on a narrower copy, or delete it.
class TokensPage : public QWidget {
    Q_OBJECT
public:
    explicit TokensPage(QWidget* parent = nullptr);

    void setService(service::WalletService* service);
    // Loads the tokens again (asynchronously); the selection survives when its token does.
    void refresh();
    // The clock of the Expires countdown; the system clock unless a test sets another.
    void setClock(const Clock* clock);

protected:
    void showEvent(QShowEvent* event) override;
    void hideEvent(QHideEvent* event) override;

private:
    QWidget* buildDetail();
    void tick();
    void showSelected();
    void showSelectedStatus(); // the parts that change with time: status and actions
    void showProblem(const QString& message);
    const TokenRow* selectedToken() const;
    void confirmCopyCredential();
    void copyCredential(qint64 tokenId);
    void attenuate();
    void confirmDelete();

    QPointer<service::WalletService> m_service;
    QList<QMetaObject::Connection> m_connections;
    const Clock* m_clock = nullptr;
    PageReads m_reads;

    TokensModel* m_model = nullptr;
    QStackedWidget* m_stack = nullptr;
    QTreeView* m_view = nullptr;
    QLabel* m_problem = nullptr;
    QStackedWidget* m_detailStack = nullptr;
    QLabel* m_detailTitle = nullptr;
    QLabel* m_detailFacts = nullptr;
    QListWidget* m_caveats = nullptr;
    QPlainTextEdit* m_macaroon = nullptr;
    QPushButton* m_copyCredential = nullptr;
    QPushButton* m_attenuate = nullptr;
    QPushButton* m_delete = nullptr;
    QLabel* m_notice = nullptr;
    QTimer* m_countdown = nullptr;
};

} // namespace l402::ui
