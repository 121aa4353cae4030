package data

// Tx is luckbox's transaction: the view of the database an operation (Op)
// or a reader (DB.View) works in. Its methods are bbolt's, so code written
// against *bbolt.Tx reads the same; every engine implements it (the
// embedded bbolt engine wraps bbolt's transaction, tx_bolt.go). Values
// returned by Get and cursors are valid only inside the transaction.
type Tx interface {
	// Bucket returns the top-level bucket name, or nil if it does not exist.
	Bucket(name []byte) Bucket
	// CreateBucketIfNotExists returns the top-level bucket name, creating it
	// if needed (write transactions only).
	CreateBucketIfNotExists(name []byte) (Bucket, error)
	// DeleteBucket deletes the top-level bucket name and everything in it.
	DeleteBucket(name []byte) error
	// OnCommit registers fn to run after the transaction committed.
	OnCommit(fn func())
}

// Bucket is a collection of keys in a Tx, with bbolt's semantics: keys in
// byte order, a sequence per bucket, nested buckets.
type Bucket interface {
	// Get returns the value of key, or nil if it is absent (or a bucket).
	Get(key []byte) []byte
	// Put sets key to value. value must stay unchanged until the
	// transaction ends.
	Put(key, value []byte) error
	// Delete removes key; removing an absent key is not an error.
	Delete(key []byte) error
	// Cursor returns a cursor over the bucket's keys.
	Cursor() Cursor
	// ForEach calls fn with every key and value in order (value nil for a
	// nested bucket); an error of fn stops it and is returned.
	ForEach(fn func(k, v []byte) error) error
	// NextSequence increments the bucket's sequence and returns it.
	NextSequence() (uint64, error)
	// Sequence returns the bucket's sequence.
	Sequence() uint64
	// SetSequence sets the bucket's sequence.
	SetSequence(v uint64) error
	// Bucket returns the nested bucket name, or nil if it does not exist.
	Bucket(name []byte) Bucket
	// CreateBucketIfNotExists returns the nested bucket name, creating it if
	// needed.
	CreateBucketIfNotExists(name []byte) (Bucket, error)
	// DeleteBucket deletes the nested bucket name and everything in it.
	DeleteBucket(name []byte) error
}

// Cursor iterates over a bucket's keys in byte order. Each move returns the
// key and value it lands on (nil, nil past either end; value nil for a
// nested bucket).
type Cursor interface {
	First() (key, value []byte)
	Last() (key, value []byte)
	Seek(seek []byte) (key, value []byte)
	Next() (key, value []byte)
	Prev() (key, value []byte)
	// Delete removes the key the cursor is on.
	Delete() error
}
