// Package wechat is a thin client for the WeChat mini-program server APIs
// (login, access tokens, phone numbers, subscribe messages, mini-program codes)
// and WeChat Pay v3 (JSAPI prepay, payment parameters, notifications, order
// queries). It uses only the standard library.
//
// Sub-package fake is a faithful fake of the same endpoints, used by tests and
// by demo mode.
package wechat
