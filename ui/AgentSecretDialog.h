#pragma once

#include <QDialog>

namespace l402::ui {

// Shown once, right after an agent is added: its secret, the proxy URL that carries it and a
// shell snippet to paste into the agent's environment. The wallet keeps only the secret's
// hash, so whoever opens this dialog should delete it when it closes (WA_DeleteOnClose):
// nothing else holds the secret.
class AgentSecretDialog : public QDialog {
    Q_OBJECT
public:
    AgentSecretDialog(const QString& name, const QString& secret, quint16 proxyPort,
                      const QString& dataDir, QWidget* parent = nullptr);
};

} // namespace l402::ui
