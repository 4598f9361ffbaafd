#pragma once

#include "core/util/Result.h"

#include <QByteArray>
#include <QObject>
#include <QString>

#include <functional>

namespace l402::store {

namespace secret_error {
inline constexpr auto kNotFound = "secret_not_found";
inline constexpr auto kUnavailable = "keychain_unavailable";
inline constexpr auto kDenied = "keychain_denied";
inline constexpr auto kTimeout = "keychain_timeout";
} // namespace secret_error

// The OS keychain, as a port: the real one (KeychainSecretStore) and test doubles that
// refuse, time out or lose entries. Asynchronous because keychains may prompt the user;
// every call invokes its callback exactly once, on the caller's thread.
class SecretStore {
public:
    virtual ~SecretStore() = default;
    virtual void read(const QString& key, std::function<void(Result<QByteArray>)> done) = 0;
    virtual void write(const QString& key, const QByteArray& secret,
                       std::function<void(Status)> done) = 0;
    virtual void remove(const QString& key, std::function<void(Status)> done) = 0;
};

// QtKeychain: Secret Service (GNOME Keyring, KWallet) on Linux, Keychain on macOS,
// Credential Manager on Windows.
class KeychainSecretStore final : public SecretStore {
public:
    explicit KeychainSecretStore(QString service = QStringLiteral("l402-wallet"),
                                 int timeoutMs = 20'000);
    void read(const QString& key, std::function<void(Result<QByteArray>)> done) override;
    void write(const QString& key, const QByteArray& secret,
               std::function<void(Status)> done) override;
    void remove(const QString& key, std::function<void(Status)> done) override;

private:
    QString m_service;
    int m_timeoutMs;
};

} // namespace l402::store
