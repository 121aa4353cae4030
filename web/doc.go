// Package web is luckbox's HTTP layer: the chi router and its route table, the
// JSON handlers, middleware (request ids, panic recovery, access log, body
// limits, authentication, idempotency keys), the one table mapping domain
// error codes to HTTP statuses, the OpenAPI document and the embedded pages.
// It never touches storage directly: it calls the domain services.
package web
