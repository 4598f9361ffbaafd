#pragma once

#include "core/store/Database.h"
#include "core/util/Clock.h"
#include "core/util/Result.h"

#include <QByteArray>
#include <QHash>
#include <QMutex>
#include <QSslCertificate>
#include <QSslKey>
#include <QString>

#include <memory>

namespace l402::proxy {

// The wallet's own certificate authority for intercepting CONNECT (DESIGN §4), created once
// per install. Its private key lives only in the encrypted wallet database (whose key the
// OS keychain or the passphrase protects); the certificate is public and exported for
// agents to trust. Leaf certificates follow mitmproxy's habits: issued on demand per host,
// back-dated two days against clock skew, valid well under the 398-day browser limit, the
// host in subjectAltName, authority and subject key identifiers set; cached per host.
// Written with OpenSSL's X509 API directly because Qt has no certificate issuing.
class LocalCa {
public:
    static constexpr int kCaValidityDays = 3650;
    static constexpr int kLeafValidityDays = 199;
    static constexpr int kLeafBackdateDays = 2;

    ~LocalCa();
    LocalCa(const LocalCa&) = delete;
    LocalCa& operator=(const LocalCa&) = delete;

    // Loads the CA from the wallet's settings, creating it the first time.
    static Result<std::shared_ptr<LocalCa>> loadOrCreate(store::Database& database,
                                                         const Clock& clock);
    // A CA that exists only in memory (tests).
    static Result<std::shared_ptr<LocalCa>> createEphemeral(const Clock& clock);

    QByteArray certificatePem() const { return m_certificatePem; }
    // Writes `ca.pem` (this CA) and `ca-bundle.pem` (the system's CAs plus this one, for
    // SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, GIT_SSL_CAINFO) into `directory`.
    Status writeFiles(const QString& directory) const;
    static QString certificateFile(const QString& directory);
    static QString bundleFile(const QString& directory);
    QSslCertificate certificate() const { return QSslCertificate(m_certificatePem); }

    struct Leaf {
        QSslCertificate certificate;
        QSslKey key;
    };
    // A certificate for `host` (a DNS name or an IP address), made or taken from the cache.
    // Thread-safe.
    Result<Leaf> leafFor(const QString& host);

private:
    struct Keys;
    explicit LocalCa(const Clock& clock);
    Status generate();
    Status load(const QByteArray& certificatePem, const QByteArray& keyPem);
    Result<Leaf> issue(const QString& host);

    const Clock& m_clock;
    std::unique_ptr<Keys> m_keys;
    QByteArray m_certificatePem;
    QByteArray m_keyPem; // secret: only ever written to the encrypted database
    QMutex m_mutex;
    QHash<QString, Leaf> m_leaves;
};

} // namespace l402::proxy
