/**
 * Names for every numeric reply the server sends, so code reads `ERR_NOSUCHNICK` rather
 * than `"401"` and a search finds every use. Values per modern.ircdocs.horse.
 *
 * @example
 * ```ts
 * import { ERR_NOSUCHNICK } from "./numerics.ts";
 * console.log(ERR_NOSUCHNICK); // "401"
 * ```
 *
 * @module
 */

export const RPL_WELCOME = "001";
export const RPL_YOURHOST = "002";
export const RPL_CREATED = "003";
export const RPL_MYINFO = "004";
export const RPL_ISUPPORT = "005";
export const RPL_UMODEIS = "221";
export const RPL_LUSERCLIENT = "251";
export const RPL_LUSEROP = "252";
export const RPL_LUSERUNKNOWN = "253";
export const RPL_LUSERCHANNELS = "254";
export const RPL_LUSERME = "255";
export const RPL_LOCALUSERS = "265";
export const RPL_GLOBALUSERS = "266";
export const RPL_AWAY = "301";
export const RPL_USERHOST = "302";
export const RPL_ISON = "303";
export const RPL_UNAWAY = "305";
export const RPL_NOWAWAY = "306";
export const RPL_WHOISUSER = "311";
export const RPL_WHOISSERVER = "312";
export const RPL_WHOISOPERATOR = "313";
export const RPL_WHOWASUSER = "314";
export const RPL_ENDOFWHO = "315";
export const RPL_WHOISIDLE = "317";
export const RPL_ENDOFWHOIS = "318";
export const RPL_WHOISCHANNELS = "319";
export const RPL_LISTSTART = "321";
export const RPL_LIST = "322";
export const RPL_LISTEND = "323";
export const RPL_CHANNELMODEIS = "324";
export const RPL_CREATIONTIME = "329";
export const RPL_WHOISACCOUNT = "330";
export const RPL_NOTOPIC = "331";
export const RPL_TOPIC = "332";
export const RPL_TOPICWHOTIME = "333";
export const RPL_INVITING = "341";
export const RPL_VERSION = "351";
export const RPL_WHOREPLY = "352";
export const RPL_NAMREPLY = "353";
export const RPL_WHOSPCRPL = "354";
export const RPL_ENDOFNAMES = "366";
export const RPL_BANLIST = "367";
export const RPL_ENDOFBANLIST = "368";
export const RPL_ENDOFWHOWAS = "369";
export const RPL_MOTD = "372";
export const RPL_MOTDSTART = "375";
export const RPL_ENDOFMOTD = "376";
export const RPL_WHOISHOST = "378";
export const RPL_YOUREOPER = "381";
export const RPL_TIME = "391";
export const ERR_UNKNOWNERROR = "400";
export const ERR_NOSUCHNICK = "401";
export const ERR_NOSUCHSERVER = "402";
export const ERR_NOSUCHCHANNEL = "403";
export const ERR_CANNOTSENDTOCHAN = "404";
export const ERR_TOOMANYCHANNELS = "405";
export const ERR_WASNOSUCHNICK = "406";
export const ERR_TOOMANYTARGETS = "407";
export const ERR_NOORIGIN = "409";
export const ERR_INVALIDCAPCMD = "410";
export const ERR_NORECIPIENT = "411";
export const ERR_NOTEXTTOSEND = "412";
export const ERR_INPUTTOOLONG = "417";
export const ERR_UNKNOWNCOMMAND = "421";
export const ERR_NOMOTD = "422";
export const ERR_NONICKNAMEGIVEN = "431";
export const ERR_ERRONEUSNICKNAME = "432";
export const ERR_NICKNAMEINUSE = "433";
export const ERR_USERNOTINCHANNEL = "441";
export const ERR_NOTONCHANNEL = "442";
export const ERR_USERONCHANNEL = "443";
export const ERR_NOTREGISTERED = "451";
export const ERR_NEEDMOREPARAMS = "461";
export const ERR_ALREADYREGISTERED = "462";
export const ERR_PASSWDMISMATCH = "464";
export const ERR_CHANNELISFULL = "471";
export const ERR_UNKNOWNMODE = "472";
export const ERR_INVITEONLYCHAN = "473";
export const ERR_BANNEDFROMCHAN = "474";
export const ERR_BADCHANNELKEY = "475";
export const ERR_BADCHANMASK = "476";
export const ERR_BANLISTFULL = "478";
export const ERR_NOPRIVILEGES = "481";
export const ERR_CHANOPRIVSNEEDED = "482";
export const ERR_UMODEUNKNOWNFLAG = "501";
export const ERR_USERSDONTMATCH = "502";
export const ERR_INVALIDMODEPARAM = "696";
export const ERR_YOUREBANNEDCREEP = "465";
export const ERR_NOOPERHOST = "491";
export const RPL_LOGGEDIN = "900";
export const RPL_LOGGEDOUT = "901";
export const RPL_SASLSUCCESS = "903";
export const ERR_SASLFAIL = "904";
export const ERR_SASLTOOLONG = "905";
export const ERR_SASLABORTED = "906";
export const ERR_SASLALREADY = "907";
export const RPL_SASLMECHS = "908";
export const RPL_STATSUPTIME = "242";
export const RPL_ENDOFSTATS = "219";
export const RPL_ADMINME = "256";
export const RPL_ADMINLOC1 = "257";
export const RPL_ADMINLOC2 = "258";
export const RPL_ADMINEMAIL = "259";
export const RPL_LINKS = "364";
export const RPL_ENDOFLINKS = "365";
export const RPL_INFO = "371";
export const RPL_ENDOFINFO = "374";
export const ERR_HELPNOTFOUND = "524";
export const RPL_HELPSTART = "704";
export const RPL_HELPTXT = "705";
export const RPL_ENDOFHELP = "706";
