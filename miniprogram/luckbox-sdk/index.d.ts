// Types of luckbox-sdk. The API's shapes (Lottery, Packet, ...) and the
// answer of every operation come from api-types.d.ts, which is generated
// from the server's OpenAPI document (scripts/gen-types.js); each method
// below names the operation it calls, so tsc checks that it exists.
/// <reference types="miniprogram-api-typings" />
import type * as A from './api-types';

export * from './api-types';

type Res<K extends keyof A.Responses> = A.Responses[K];
type Body<K extends keyof A.RequestBodies> = A.RequestBodies[K];
type Query<K extends keyof A.QueryParams> = A.QueryParams[K];

/** Failures seen on the client side (status 0 unless the server answered). */
export type ClientErrorCode =
  | 'network' | 'bad_response' | 'payment_canceled' | 'payment_failed' | 'payment_timeout'
  | 'transfer_canceled' | 'transfer_failed' | 'transfer_timeout'
  | 'login_failed' | 'phone_denied' | 'wx_failed';

/** Every code a LuckboxError may carry. */
export type LuckboxErrorCode = A.ErrorCode | ClientErrorCode;

export declare const API_ERROR_CODES: readonly A.ErrorCode[];
export declare const CLIENT_ERROR_CODES: readonly ClientErrorCode[];

/** The error of every failed SDK call. */
export declare class LuckboxError extends Error {
  constructor(opts: { code?: LuckboxErrorCode; status?: number; message?: string; details?: A.FieldError[]; requestId?: string; retryAfter?: number; reason?: string });
  name: 'LuckboxError';
  /** The API's error code, or a client-side one. */
  code: LuckboxErrorCode;
  /** HTTP status; 0 when no answer came. */
  status: number;
  /** Field errors of a 400 (import errors carry line). */
  details: A.FieldError[];
  /** The server's X-Request-Id: quote it when reporting a 500. */
  requestId: string;
  /** Retry-After of a 429, in seconds (0 when absent). */
  retryAfter: number;
  /** Why, as a stable word ('' when absent): a refused group-only join or grab says group_proof_required, group_proof_expired or not_in_group. */
  reason: string;
  /** is reports whether the code is one of codes. */
  is(...codes: LuckboxErrorCode[]): boolean;
}

export declare function isLuckboxError(err: unknown, code?: LuckboxErrorCode): err is LuckboxError;

/** A stored login. */
export interface Session {
  token: string;
  expires_at: string;
  user: A.User;
}

/** The wx payment parameters the server returns (pay_params). */
export type PayParams = A.PayParams;

/** Options of createClient. */
export interface ClientOptions {
  /** The server, e.g. "https://luck.example.com" (a request domain of the mini-program). */
  baseURL: string;
  /** The wx object (default: the global wx). */
  wx?: WechatMiniprogram.Wx;
  /** Storage key of the session (default "luckbox.session"). */
  storageKey?: string;
  /** wx.request timeout of a call, ms (default 15000). */
  timeout?: number;
  /** Retries of GETs and keyed POSTs after a network error, 429 or 5xx (default 2). */
  retries?: number;
  /** First retry delay, ms, doubled each time (default 500). */
  retryDelay?: number;
  /** Longest retry delay, ms (default 5000). */
  maxRetryDelay?: number;
  /** How often payments are polled, ms (default 1000). */
  pollInterval?: number;
  /** How long to wait for the server to see a payment, ms (default 60000). */
  payTimeout?: number;
  /** Subscribe-message template ids (as configured on the server with --lottery-template / --exchange-template). */
  templates?: { lotteryResult?: string; exchangeReminder?: string };
  /** Page paths that share cards open (default /pages/lottery/detail, /pages/packet/detail, /pages/exchange/index). */
  pages?: { lottery?: string; packet?: string; exchange?: string };
  /** Where login codes come from (default: wx.login). */
  getLoginCode?: () => Promise<string>;
  /** How an order is paid (default: wx.requestPayment with pay_params). */
  requestPayment?: (params: PayParams, order: A.TopupOrder | A.Packet) => Promise<void>;
  /** How a withdrawal's transfer is confirmed (default: wx.requestMerchantTransfer with transfer_params). */
  requestMerchantTransfer?: (params: NonNullable<A.Withdrawal['transfer_params']>, withdrawal: A.Withdrawal) => Promise<void>;
  /** Called when the session changes (null: logged out). */
  onSession?: (session: Session | null) => void;
}

/** Options of a single call. */
export interface CallOptions {
  /** Reuse a key you keep (e.g. across app restarts); by default each call makes one and its retries reuse it. */
  idempotencyKey?: string;
}

export interface PayOptions extends CallOptions {
  /** How long to wait for the server to see the payment, ms. */
  timeout?: number;
}

/** Live event payloads of GET /lotteries/{id}/events. */
export interface LotteryEvents {
  state: A.Lottery;
  count: { participant_count: number };
  locked: { locked_at: string; entries_hash: string | null; participant_count: number };
  drawn: { drawn_at: string; participant_count: number; winner_count: number; entries_hash: string | null; seed: string | null };
  canceled: { canceled_at: string };
  /** A redraw round of a lottery with a claim window (after drawn: the stream is closed by then; reload to see it). */
  redrawn: { round: number; drawn_at: string; winner_count: number; seed: string };
}

export interface LiveHandlers {
  onState?(lottery: LotteryEvents['state']): void;
  onCount?(data: LotteryEvents['count']): void;
  onLocked?(data: LotteryEvents['locked']): void;
  onDrawn?(data: LotteryEvents['drawn']): void;
  onCanceled?(data: LotteryEvents['canceled']): void;
  onEvent?<K extends keyof LotteryEvents>(name: K, data: LotteryEvents[K]): void;
  /** "stream": the chunked event stream; "poll": GET /lotteries/{id} every pollInterval. */
  onMode?(mode: 'stream' | 'poll'): void;
  onError?(err: LuckboxError): void;
}

export interface LiveOptions {
  /** "auto" (default): the stream, polling where chunks do not arrive. */
  mode?: 'auto' | 'stream' | 'poll';
  pollInterval?: number;
  firstEventTimeout?: number;
  streamTimeout?: number;
  reconnectDelay?: number;
}

export interface LiveHandle {
  close(): void;
  mode(): 'stream' | 'poll' | '';
  /** The lottery as last seen (events applied). */
  lottery(): A.Lottery | null;
}

/** What a page was opened for. */
export interface LaunchTarget {
  id: string;
  /** The user id of whoever shared it. */
  from: string;
  /** Set when opened from a group chat's share card. */
  shareTicket: string;
}

export type ShareKind = 'lottery' | 'packet' | 'exchange';

/** The detail of the getPhoneNumber button's event, or the API's own body. */
export type PhoneInput =
  | { code: string }
  | { encryptedData: string; iv: string }
  | { encrypted_data: string; iv: string }
  | { errMsg: string; code?: string; encryptedData?: string; iv?: string };

export declare class LuckboxClient {
  constructor(options: ClientOptions);
  readonly baseURL: string;

  // Session.
  session(): Session | null;
  user(): A.User | null;
  login(): Promise<Res<'POST /api/v1/login'>>;
  ensureLogin(): Promise<Session>;
  logout(): Promise<void>;

  // Users.
  getMe(): Promise<Res<'GET /api/v1/me'>>;
  updateMe(patch: Body<'PATCH /api/v1/me'>): Promise<Res<'PATCH /api/v1/me'>>;
  addSubscriptions(templateId: string, count?: number): Promise<Res<'POST /api/v1/me/subscriptions'>>;
  listInbox(o?: Query<'GET /api/v1/me/inbox'>): Promise<Res<'GET /api/v1/me/inbox'>>;
  markInboxRead(itemId: string): Promise<Res<'POST /api/v1/me/inbox/{itemID}/read'>>;
  bindPhone(detail: PhoneInput): Promise<Res<'POST /api/v1/me/phone'>>;

  // WeChat groups: prove membership for group-only packets and lotteries.
  postGroupProof(share: Body<'POST /api/v1/groups/proof'>): Promise<Res<'POST /api/v1/groups/proof'>>;
  /** wx.getShareInfo (with a shareTicket) or wx.getGroupEnterInfo, as the API's GroupShare. */
  groupShareInfo(shareTicket?: string): Promise<Body<'POST /api/v1/groups/proof'>>;
  /** groupShareInfo, then POST /groups/proof. */
  proveGroup(shareTicket?: string): Promise<Res<'POST /api/v1/groups/proof'>>;

  // Lotteries.
  listMyLotteries(o?: Partial<Query<'GET /api/v1/me/lotteries'>>): Promise<Res<'GET /api/v1/me/lotteries'>>;
  createLottery(input: Body<'POST /api/v1/lotteries'>, opts?: CallOptions): Promise<Res<'POST /api/v1/lotteries'>>;
  getLottery(id: string): Promise<Res<'GET /api/v1/lotteries/{id}'>>;
  cancelLottery(id: string): Promise<Res<'DELETE /api/v1/lotteries/{id}'>>;
  joinLottery(id: string): Promise<Res<'POST /api/v1/lotteries/{id}/entries'>>;
  leaveLottery(id: string): Promise<Res<'DELETE /api/v1/lotteries/{id}/entries/me'>>;
  drawLottery(id: string): Promise<Res<'POST /api/v1/lotteries/{id}/draw'>>;
  listWinners(id: string, o?: Query<'GET /api/v1/lotteries/{id}/winners'>): Promise<Res<'GET /api/v1/lotteries/{id}/winners'>>;
  listAllWinners(id: string): Promise<Res<'GET /api/v1/lotteries/{id}/winners'>['items']>;
  getProof(id: string): Promise<Res<'GET /api/v1/lotteries/{id}/proof'>>;
  claimPrize(id: string, claim: Body<'POST /api/v1/lotteries/{id}/claim'>): Promise<Res<'POST /api/v1/lotteries/{id}/claim'>>;
  listClaims(id: string, o?: Query<'GET /api/v1/lotteries/{id}/claims'>): Promise<Res<'GET /api/v1/lotteries/{id}/claims'>>;
  getLotteryCode(id: string): Promise<Res<'GET /api/v1/lotteries/{id}/code.png'>>;

  // Wallet and red packets.
  getWallet(): Promise<Res<'GET /api/v1/wallet'>>;
  listLedger(o?: Query<'GET /api/v1/wallet/ledger'>): Promise<Res<'GET /api/v1/wallet/ledger'>>;
  createTopup(amount: number, opts?: CallOptions): Promise<Res<'POST /api/v1/wallet/topups'>>;
  getTopup(orderId: string): Promise<Res<'GET /api/v1/wallet/topups/{orderID}'>>;
  createWithdrawal(amount: number, opts?: CallOptions): Promise<Res<'POST /api/v1/wallet/withdrawals'>>;
  listWithdrawals(o?: Query<'GET /api/v1/wallet/withdrawals'>): Promise<Res<'GET /api/v1/wallet/withdrawals'>>;
  getWithdrawal(id: string): Promise<Res<'GET /api/v1/wallet/withdrawals/{withdrawalID}'>>;
  cancelWithdrawal(id: string): Promise<Res<'POST /api/v1/wallet/withdrawals/{withdrawalID}/cancel'>>;
  createPacket(input: Body<'POST /api/v1/packets'>, opts?: CallOptions): Promise<Res<'POST /api/v1/packets'>>;
  getPacket(id: string): Promise<Res<'GET /api/v1/packets/{packetID}'>>;
  markPacketPaid(id: string): Promise<Res<'POST /api/v1/packets/{packetID}/paid'>>;
  grabPacket(id: string): Promise<Res<'POST /api/v1/packets/{packetID}/grabs'>>;
  listMyPackets(o?: Query<'GET /api/v1/me/packets'>): Promise<Res<'GET /api/v1/me/packets'>>;

  // Gift exchanges.
  getExchange(id: string): Promise<Res<'GET /api/v1/exchanges/{id}'>>;
  drawExchange(id: string): Promise<Res<'POST /api/v1/exchanges/{id}/draw'>>;
  getMyExchange(id: string): Promise<Res<'GET /api/v1/exchanges/{id}/me'>>;

  // Payments: wx.requestPayment, then wait for the server to see it.
  topUp(amount: number, opts?: PayOptions & { onOrder?(order: A.TopupOrder): void }): Promise<A.TopupOrder>;
  payTopup(order: A.TopupOrder, opts?: PayOptions): Promise<A.TopupOrder>;
  waitForTopup(orderId: string, timeout?: number): Promise<A.TopupOrder>;
  sendPacket(input: Body<'POST /api/v1/packets'>, opts?: PayOptions & { onPacket?(packet: A.Packet): void }): Promise<A.Packet>;
  payPacket(packet: A.Packet, opts?: PayOptions): Promise<A.Packet>;
  waitForPacketFunded(id: string, timeout?: number): Promise<A.Packet>;

  // Withdrawals: wx.requestMerchantTransfer, then wait for the transfer.
  withdraw(amount: number, opts?: PayOptions & { onWithdrawal?(w: A.Withdrawal): void }): Promise<A.Withdrawal>;
  waitForWithdrawal(id: string, timeout?: number): Promise<A.Withdrawal>;

  // Subscribe messages (call from a tap handler).
  requestSubscribe(templateIds?: string[]): Promise<string[]>;
  subscribeAndJoin(lotteryId: string): Promise<{ entry: A.Entry; subscribed: string[] }>;

  // Sharing.
  sharePath(kind: ShareKind, id: string, extra?: Record<string, string | number>): string;
  shareMessage(kind: ShareKind, id: string, title?: string, imageUrl?: string): { title: string; path: string; imageUrl?: string };
  enableShareTicket(): Promise<unknown>;
  noteLaunch(options: { shareTicket?: string; scene?: number } | undefined): void;
  launchTarget(query: Record<string, string | undefined> | undefined): LaunchTarget;
  getShareInfo(shareTicket: string): Promise<Parameters<WechatMiniprogram.GetShareInfoSuccessCallback>[0]>;

  // Live updates.
  watchLottery(id: string, handlers: LiveHandlers, options?: LiveOptions): LiveHandle;
}

export declare function createClient(options: ClientOptions): LuckboxClient;

/** The SDK's operations: name → [method, path], as the OpenAPI document has them. */
export declare const OPERATIONS: Readonly<Record<string, readonly [string, string]>>;

export declare function newIdempotencyKey(): string;

/** The result of verifyProof. */
export interface ProofCheck {
  ok: boolean;
  steps: { key: string; ok: boolean; info: Record<string, unknown> }[];
  recomputed: { user_id: string; prize: string }[] | null;
}

export declare const ALGORITHM: 'luckbox-draw-v1';
export declare function verifyProof(proof: A.LotteryProof, commitment?: { seed_hash?: string | null; entries_hash?: string | null } | null): ProofCheck;
/** true/false once a lucky packet's split is revealed; null before. */
export declare function checkSplit(packet: A.Packet): boolean | null;

export declare function money(fen: number, sign?: boolean): string;
export declare function parseYuan(text: string): number;

export declare class SSEParser {
  constructor(onEvent: (ev: { event: string; data: string; id: string }) => void);
  retry: number;
  push(text: string): void;
}

export declare class Utf8Decoder {
  decode(chunk: ArrayBuffer | Uint8Array): string;
}
