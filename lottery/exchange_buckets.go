package lottery

// Buckets of gift exchanges:
//
//	exchanges              exchange seq (8) → exchangeRec JSON
//	exchange_participants  exchange seq (8) ‖ participant seq (8) → exParticipantRec JSON
//	exchange_phones        exchange seq (8) ‖ phone → participant seq (8)
//
// Participant sequences come from the participants bucket, so they grow in
// import order and a cursor over one exchange's prefix lists its participants
// in that order.
var (
	bucketExchanges    = []byte("exchanges")
	bucketExParts      = []byte("exchange_participants")
	bucketExPhoneIndex = []byte("exchange_phones")
)

// exchangeBuckets are the buckets of gift exchanges.
var exchangeBuckets = [][]byte{bucketExchanges, bucketExParts, bucketExPhoneIndex}
