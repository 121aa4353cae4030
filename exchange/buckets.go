package exchange

// Buckets of gift exchanges:
//
//	exchanges              exchange seq (8) → record JSON
//	exchange_participants  exchange seq (8) ‖ participant seq (8) → participantRec JSON
//	exchange_phones        exchange seq (8) ‖ phone → participant seq (8)
//
// Participant sequences come from the participants bucket, so they grow in
// import order and a cursor over one exchange's prefix lists its participants
// in that order.
var (
	bucketExchanges    = []byte("exchanges")
	bucketParticipants = []byte("exchange_participants")
	bucketPhones       = []byte("exchange_phones")
)

// Buckets lists the buckets of gift exchanges; pass them to data.Open.
var Buckets = [][]byte{bucketExchanges, bucketParticipants, bucketPhones}
