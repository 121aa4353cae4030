// Package exchange runs gift exchanges (secret-santa matching): an admin
// imports the participant list (all rows or none), starts the exchange (one
// cycle in which nobody draws themselves, their group or someone they
// excluded), and each participant then draws, by phone number, the person they
// give a gift to. Reminders go through the caller's Notifier.
//
// The matching (Match) is a pure function of its inputs and a seeded
// generator, tested without a database.
package exchange
